using System.Buffers;
using System.IO.Pipelines;
using TcpToolkit.Connections;

namespace TcpToolkit.Tls.Internal;

/// <summary>
/// The connection's transport below the TLS layer as the <see cref="Stream"/> that <see cref="System.Net.Security.SslStream"/>
/// reads and writes (Kestrel's DuplexPipeStream idea): a read copies what the input holds, a write writes and flushes
/// the output, so every TLS record the stream produces is handed to the transport at once. Asynchronous only: the
/// synchronous members would block a thread on the network, and SslStream is only driven asynchronously here.
/// </summary>
internal sealed class TransportStream : Stream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    // SslStream writes from the one output pump, but may also answer the peer from inside a read (a TLS 1.2
    // renegotiation refusal, a TLS 1.3 key update): two writers must not interleave on one PipeWriter.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public TransportStream(IDuplexPipe transport)
    {
        _input = transport.Input;
        _output = transport.Output;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var available = result.Buffer;
            if (result.IsCanceled)
            {
                _input.AdvanceTo(available.Start);
                throw new OperationCanceledException("A read of the transport below the TLS layer was cancelled.");
            }

            if (buffer.IsEmpty)
            {
                // A zero-byte read (SslStream's way to wait for data without holding a buffer): report that bytes
                // are there, or EOF, and consume nothing.
                _input.AdvanceTo(available.Start);
                return 0;
            }

            if (!available.IsEmpty)
            {
                var count = (int)Math.Min(available.Length, buffer.Length);
                var slice = available.Slice(0, count);
                slice.CopyTo(buffer.Span);
                _input.AdvanceTo(slice.End);
                return count;
            }

            _input.AdvanceTo(available.End);
            if (result.IsCompleted)
            {
                return 0;
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var flush = await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (flush.IsCanceled)
            {
                throw new OperationCanceledException("A write to the transport below the TLS layer was cancelled.");
            }

            if (flush.IsCompleted)
            {
                throw new ConnectionAbortedException("The transport below the TLS layer is closed.");
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Every write is flushed already.
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The TLS layer's transport is asynchronous only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The TLS layer's transport is asynchronous only.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // Dispose is the base's: the pipes belong to the transport below (completing them is the layer's business), and
    // the write lock holds no handle (its AvailableWaitHandle is never created), so a late reply racing the
    // disposal cannot hit a disposed lock.
}
