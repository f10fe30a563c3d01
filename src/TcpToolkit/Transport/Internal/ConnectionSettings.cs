using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using TcpToolkit.Diagnostics.Internal;
using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.Transport.Internal;

/// <summary>What a connection needs from its owner's options, resolved once per server or client.</summary>
internal sealed class ConnectionSettings
{
    public ConnectionSettings(
        MemoryPool<byte> memoryPool,
        long? maxReadBufferSize,
        long? maxWriteBufferSize,
        TimeSpan closeTimeout,
        ILogger logger,
        TimeProvider timeProvider,
        SideMetrics metrics,
        bool recordFrameSizes,
        ConnectionTimeouts? timeouts = null,
        bool useDotNetSocketEngine = false)
    {
        UseDotNetSocketEngine = useDotNetSocketEngine;
        Hooks = EngineHooks.Current;
        Timeouts = timeouts;
        MemoryPool = memoryPool;
        CloseTimeout = closeTimeout;
        Logger = logger;
        TimeProvider = timeProvider;
        Metrics = metrics;
        RecordFrameSizes = recordFrameSizes;

        // The process-wide engine has no owner to log through: the first server or client with a real logger lends it.
        EngineLog.Adopt(logger);
        MaxWriteBufferSize = maxWriteBufferSize;

        // Receives go into at least half a block, so bulk transfers move 32-64 KiB per system call.
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

    /// <summary>Gets whether connections use .NET's socket engine even where TcpToolkit's epoll engine runs (tests).</summary>
    public bool UseDotNetSocketEngine { get; }

    /// <summary>Gets the test seams in effect when the owner was created (<see cref="EngineHooks.Current"/>), if any.</summary>
    public EngineHooks? Hooks { get; }

    public PipeOptions InputOptions { get; }

    public PipeOptions OutputOptions { get; }

    public int MinimumReceiveSize { get; }

    public long? MaxWriteBufferSize { get; }

    public TimeSpan CloseTimeout { get; }

    public ILogger Logger { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>Gets the instruments of the owner's side (<c>tcptoolkit.server.*</c> or <c>tcptoolkit.client.*</c>).</summary>
    public SideMetrics Metrics { get; }

    /// <summary>Gets whether the connections' frame counters feed the <c>frame.size</c> histograms (opt-in).</summary>
    public bool RecordFrameSizes { get; }

    /// <summary>Gets the timeouts the server's heartbeat enforces; <see langword="null"/> when there are none.</summary>
    public ConnectionTimeouts? Timeouts { get; }
}

/// <summary>The server's timeout options, resolved once.</summary>
internal sealed record ConnectionTimeouts(TimeSpan? Idle, TimeSpan? FirstByte, MinDataRate? MinReceiveRate, TimeSpan? Write)
{
    /// <summary>Gets whether any timeout is configured (no heartbeat runs otherwise).</summary>
    public bool Any => Idle is not null || FirstByte is not null || MinReceiveRate is not null || Write is not null;

    /// <summary>Gets the heartbeat period: a quarter of the shortest timeout, between 10 ms and 1 s (Kestrel ticks at 1 s).</summary>
    public TimeSpan HeartbeatInterval
    {
        get
        {
            var shortest = new[] { Idle, FirstByte, MinReceiveRate?.GracePeriod, Write }.Where(t => t is not null).Min() ?? TimeSpan.FromSeconds(1);
            return TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        }
    }
}
