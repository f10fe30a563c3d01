using System.IO.Pipelines;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The application's view of the input pipe. It forwards every call and notes one fact for the minimum data rate
/// rule: whether the application's last <c>AdvanceTo</c> examined past what it consumed, i.e. it holds the start of
/// a message and is waiting for the rest. Framing stays out of the transport: this is the pipe contract itself.
/// </summary>
internal sealed class ConnectionInput(PipeReader inner) : PipeReader
{
    private volatile bool _awaitingRestOfMessage;

    /// <summary>Gets whether the application holds part of a message and waits for more bytes.</summary>
    public bool AwaitingRestOfMessage => _awaitingRestOfMessage;

    public override void AdvanceTo(SequencePosition consumed)
    {
        _awaitingRestOfMessage = false;
        inner.AdvanceTo(consumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _awaitingRestOfMessage = !consumed.Equals(examined);
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _awaitingRestOfMessage = false;
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        _awaitingRestOfMessage = false;
        return inner.CompleteAsync(exception);
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => inner.ReadAsync(cancellationToken);

    public override bool TryRead(out ReadResult result) => inner.TryRead(out result);

    protected override ValueTask<ReadResult> ReadAtLeastAsyncCore(int minimumSize, CancellationToken cancellationToken)
        => inner.ReadAtLeastAsync(minimumSize, cancellationToken);
}
