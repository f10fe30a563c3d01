using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.Internal;

/// <summary>What a connection needs from its owner's options, resolved once per server or client.</summary>
internal sealed class ConnectionSettings
{
    public ConnectionSettings(
        MemoryPool<byte> memoryPool,
        long? maxReadBufferSize,
        long? maxWriteBufferSize,
        TimeSpan closeTimeout,
        ILogger logger,
        TimeProvider timeProvider)
    {
        MemoryPool = memoryPool;
        CloseTimeout = closeTimeout;
        Logger = logger;
        TimeProvider = timeProvider;
        MaxWriteBufferSize = maxWriteBufferSize;

        // Receives go into at least half a block, so bulk transfers move 16-32 KiB per system call.
        MinimumReceiveSize = memoryPool.MaxBufferSize / 2;

        // Pause a writer at the maximum and resume it at half, as Kestrel does; 0 disables the pause (unlimited).
        InputOptions = new PipeOptions(
            pool: memoryPool,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: maxReadBufferSize ?? 0,
            resumeWriterThreshold: (maxReadBufferSize ?? 0) / 2,
            minimumSegmentSize: memoryPool.MaxBufferSize,
            useSynchronizationContext: false);
        OutputOptions = new PipeOptions(
            pool: memoryPool,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: maxWriteBufferSize ?? 0,
            resumeWriterThreshold: (maxWriteBufferSize ?? 0) / 2,
            minimumSegmentSize: memoryPool.MaxBufferSize,
            useSynchronizationContext: false);
    }

    public MemoryPool<byte> MemoryPool { get; }

    public PipeOptions InputOptions { get; }

    public PipeOptions OutputOptions { get; }

    public int MinimumReceiveSize { get; }

    public long? MaxWriteBufferSize { get; }

    public TimeSpan CloseTimeout { get; }

    public ILogger Logger { get; }

    public TimeProvider TimeProvider { get; }
}
