using System.Buffers;
using System.IO.Pipelines;
using TcpToolkit.Connections.Internal;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The application's view of the output pipe. It forwards every call and, after each flush or completion, tells the
/// pump that there is something to send (<see cref="SocketPump.SignalOutput"/>): the send side runs only while there is
/// output, so an idle connection holds no waiting send loop (issue #17). The pipe itself is created at the first
/// call that needs it. On the epoll engine, a write (<c>WriteAsync</c>) with nothing buffered before it goes straight to
/// the socket (<see cref="SocketPump.SendNow"/>).
/// </summary>
internal sealed class ConnectionOutput(SocketPump pump) : PipeWriter, IGatheringWriter
{
    private PipeWriter? _inner;

    // Set once the application cancels a flush: the pipe then owes the next flush a canceled result, which only the
    // pipe can give, so writes go through it from then on.
    private bool _flushCanceled;

    // The pipe's writer once it exists: one field read per call afterwards.
    private PipeWriter Inner => _inner ??= pump.OutputPipe.Writer;

    public override bool CanGetUnflushedBytes => Inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => Inner.UnflushedBytes;

    public override void Advance(int bytes) => Inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => Inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => Inner.GetSpan(sizeHint);

    public override void CancelPendingFlush()
    {
        _flushCanceled = true;
        Inner.CancelPendingFlush();
    }

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
        => WriteAsync(new ReadOnlySequence<byte>(source), cancellationToken);

    public ValueTask<FlushResult> WriteAsync(in ReadOnlySequence<byte> bytes, CancellationToken cancellationToken)
    {
        // Straight to the socket when nothing is buffered before these bytes (issue #17): an echo writing back what it
        // read sends from the input's memory, in one gathered send, with no copy into the output pipe and no send run
        // when the socket takes it all. Whatever the socket does not take at once is queued and flushed as before.
        var rest = bytes;
        if (!bytes.IsEmpty && CanSendNow(cancellationToken))
        {
            var sent = pump.SendNow(bytes);
            if (sent == bytes.Length)
            {
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
            }

            rest = bytes.Slice(sent);
        }

        ValueTask<FlushResult> flush;
        if (rest.IsSingleSegment)
        {
            flush = Inner.WriteAsync(rest.First, cancellationToken);
        }
        else
        {
            foreach (var segment in rest)
            {
                Inner.Write(segment.Span);
            }

            flush = Inner.FlushAsync(cancellationToken);
        }

        pump.SignalOutput();
        return flush;
    }

    // Nothing buffered before the bytes (and no canceled flush owed), so sending them now keeps the order.
    private bool CanSendNow(CancellationToken cancellationToken)
        => !_flushCanceled && (_inner is null || _inner.UnflushedBytes == 0) && !cancellationToken.IsCancellationRequested;
}
