using System.IO.Pipelines;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The application's view of the output pipe. It forwards every call and, after each flush or completion, tells the
/// pump that there is something to send (<see cref="SocketPump.SignalOutput"/>): the send side runs only while there is
/// output, so an idle connection holds no waiting send loop (issue #17). The pipe itself is created at the first
/// call that needs it.
/// </summary>
internal sealed class ConnectionOutput(SocketPump pump) : PipeWriter
{
    private PipeWriter? _inner;

    // The pipe's writer once it exists: one field read per call afterwards.
    private PipeWriter Inner => _inner ??= pump.OutputPipe.Writer;

    public override bool CanGetUnflushedBytes => Inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => Inner.UnflushedBytes;

    public override void Advance(int bytes) => Inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => Inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => Inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => Inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        Inner.Complete(exception);
        pump.SignalOutput();
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        await Inner.CompleteAsync(exception).ConfigureAwait(false);
        pump.SignalOutput();
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        // The flush commits the bytes (and returns pending at MaxWriteBufferSize); the send run it starts here makes
        // room, which completes a pending flush.
        var flush = Inner.FlushAsync(cancellationToken);
        pump.SignalOutput();
        return flush;
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        var flush = Inner.WriteAsync(source, cancellationToken);
        pump.SignalOutput();
        return flush;
    }
}
