using System.IO.Pipelines;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The application's view of the output pipe. It forwards every call and, after each flush or completion, tells the
/// pump that there is something to send (<see cref="SocketPump.SignalOutput"/>): the send side runs only while there is
/// output, so an idle connection holds no waiting send loop (issue #17).
/// </summary>
internal sealed class ConnectionOutput(PipeWriter inner, SocketPump pump) : PipeWriter
{
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        inner.Complete(exception);
        pump.SignalOutput();
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        await inner.CompleteAsync(exception).ConfigureAwait(false);
        pump.SignalOutput();
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        // The flush commits the bytes (and returns pending at MaxWriteBufferSize); the send run it starts here makes
        // room, which completes a pending flush.
        var flush = inner.FlushAsync(cancellationToken);
        pump.SignalOutput();
        return flush;
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        var flush = inner.WriteAsync(source, cancellationToken);
        pump.SignalOutput();
        return flush;
    }
}
