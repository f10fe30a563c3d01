using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The application's view of the input: the input pipe's reader, once the pump has created the pipe at the first
/// bytes (or the end) from the peer. Until then it is a pipe reader of its own that holds no pipe: a read waits on a
/// reusable completion source here, and the pipe's first flush completes it (issue #17: an idle connection holds no
/// input pipe, about 450 bytes of it). It also notes one fact for the minimum data rate rule: whether the
/// application's last <c>AdvanceTo</c> examined past what it consumed, i.e. it holds the start of a message and is
/// waiting for the rest. Framing stays out of the transport: this is the pipe contract itself.
/// </summary>
/// <remarks>
/// Before the pipe exists the reader follows the pipe's rules: one read at a time, <see cref="CancelPendingRead"/>
/// ends the pending read as canceled (or the next one, when none is pending), a cancelled token ends it with
/// <see cref="OperationCanceledException"/>, and a completed reader tells the pump to stop receiving. The first read's
/// continuation runs on the thread that publishes the pipe, as the input pipe's inline reader scheduler would run it.
/// The rare transitions before the pipe take a lock on this object; once the pipe is published every call goes
/// straight to it.
/// </remarks>
internal sealed class ConnectionInput : PipeReader, IValueTaskSource<ReadResult>
{
    private static readonly Action<object?> s_firstReadCanceled = static state => ((ConnectionInput)state!).OnFirstReadCanceled();

    private PipeReader? _inner;
    private ManualResetValueTaskSourceCore<ReadResult> _firstRead = new() { RunContinuationsAsynchronously = false };
    private CancellationTokenRegistration _firstReadCancellation;
    private bool _firstReadPending;
    private bool _cancelRequested;
    private bool _completed;
    private Exception? _completionError;
    private volatile bool _awaitingRestOfMessage;

    // A canceled result handed out before the pipe existed: its AdvanceTo belongs to no pipe read, even when the
    // pipe has been published since (the pipe would throw: no read in progress).
    private volatile bool _earlyResultOutstanding;

    /// <summary>Gets whether the application holds part of a message and waits for more bytes.</summary>
    public bool AwaitingRestOfMessage => _awaitingRestOfMessage;

    /// <summary>
    /// Hands over the input pipe (its first bytes flushed, or its writer completed): a read waiting here completes with
    /// what the pipe holds, on this thread; a cancel or a completion the application made before carries over.
    /// </summary>
    public void Publish(PipeReader pipe)
    {
        bool completeFirstRead;
        lock (this)
        {
            if (_completed)
            {
                pipe.Complete(_completionError);
            }
            else if (_cancelRequested)
            {
                _cancelRequested = false;
                pipe.CancelPendingRead();
            }

            completeFirstRead = _firstReadPending;
            _firstReadPending = false;
            Volatile.Write(ref _inner, pipe);
        }

        if (!completeFirstRead)
        {
            return;
        }

        // Waits for a cancel callback that is running: it found no pending read and does nothing.
        _firstReadCancellation.Dispose();
        _firstReadCancellation = default;
        ReadResult result;
        try
        {
            if (!pipe.TryRead(out result))
            {
                // Cannot happen (the pipe was published after its first flush or completion), but a read must end.
                _earlyResultOutstanding = true;
                result = new ReadResult(default, isCanceled: true, isCompleted: false);
            }
        }
        catch (Exception ex)
        {
            // The writer completed with the transport's error: the read fails with it, as the pipe's own would.
            _firstRead.SetException(ex);
            return;
        }

        _firstRead.SetResult(result);
    }

    public override void AdvanceTo(SequencePosition consumed)
    {
        _awaitingRestOfMessage = false;
        if (_earlyResultOutstanding)
        {
            _earlyResultOutstanding = false;
            AdvanceBeforePipe(consumed);
        }
        else if (Volatile.Read(ref _inner) is { } inner)
        {
            inner.AdvanceTo(consumed);
        }
        else
        {
            AdvanceBeforePipe(consumed);
        }
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _awaitingRestOfMessage = !consumed.Equals(examined);
        if (_earlyResultOutstanding)
        {
            _earlyResultOutstanding = false;
            AdvanceBeforePipe(consumed);
        }
        else if (Volatile.Read(ref _inner) is { } inner)
        {
            inner.AdvanceTo(consumed, examined);
        }
        else
        {
            AdvanceBeforePipe(consumed);
        }
    }

    public override void CancelPendingRead()
    {
        if (Volatile.Read(ref _inner) is { } inner)
        {
            inner.CancelPendingRead();
            return;
        }

        lock (this)
        {
            if (_inner is not null)
            {
                _inner.CancelPendingRead();
                return;
            }

            if (!_firstReadPending)
            {
                // No read pending: the next one returns canceled, as the pipe's would.
                _cancelRequested = true;
                return;
            }

            _firstReadPending = false;
            _earlyResultOutstanding = true;
        }

        EndFirstRead(new ReadResult(default, isCanceled: true, isCompleted: false));
    }

    public override void Complete(Exception? exception = null)
    {
        _awaitingRestOfMessage = false;
        if (Volatile.Read(ref _inner) is { } inner)
        {
            inner.Complete(exception);
            return;
        }

        lock (this)
        {
            if (_inner is not null)
            {
                _inner.Complete(exception);
                return;
            }

            // Carried over to the pipe when it is created: its first flush then tells the pump the application
            // wants no more bytes.
            _completed = true;
            _completionError = exception;
        }
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Complete(exception);
        return default;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        // A read after an early canceled result that was never advanced: that result is over.
        _earlyResultOutstanding = false;
        return Volatile.Read(ref _inner) is { } inner ? inner.ReadAsync(cancellationToken) : ReadBeforePipe(cancellationToken);
    }

    public override bool TryRead(out ReadResult result)
    {
        _earlyResultOutstanding = false;
        if (Volatile.Read(ref _inner) is { } inner)
        {
            return inner.TryRead(out result);
        }

        lock (this)
        {
            if (_inner is not null)
            {
                return _inner.TryRead(out result);
            }

            ThrowIfCompleted();
            if (_cancelRequested)
            {
                _cancelRequested = false;
                _earlyResultOutstanding = true;
                result = new ReadResult(default, isCanceled: true, isCompleted: false);
                return true;
            }

            result = default;
            return false;
        }
    }

    protected override ValueTask<ReadResult> ReadAtLeastAsyncCore(int minimumSize, CancellationToken cancellationToken)
        => Volatile.Read(ref _inner) is { } inner
            ? inner.ReadAtLeastAsync(minimumSize, cancellationToken)

            // Rare (a first read that asks for a minimum): the base class's loop of reads over this reader.
            : base.ReadAtLeastAsyncCore(minimumSize, cancellationToken);

    private ValueTask<ReadResult> ReadBeforePipe(CancellationToken cancellationToken)
    {
        lock (this)
        {
            if (_inner is not null)
            {
                return _inner.ReadAsync(cancellationToken);
            }

            ThrowIfCompleted();
            if (_firstReadPending)
            {
                throw new InvalidOperationException("Concurrent reads or writes are not supported.");
            }

            if (_cancelRequested)
            {
                _cancelRequested = false;
                _earlyResultOutstanding = true;
                return new ValueTask<ReadResult>(new ReadResult(default, isCanceled: true, isCompleted: false));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<ReadResult>(cancellationToken);
            }

            _firstRead.Reset();
            _firstReadPending = true;
            if (cancellationToken.CanBeCanceled)
            {
                // Under the lock, so a publish or cancel that ends this read always finds the registration to undo.
                // A token cancelled meanwhile runs the callback right here (the lock is reentrant).
                _firstReadCancellation = cancellationToken.UnsafeRegister(s_firstReadCanceled, this);
            }

            return new ValueTask<ReadResult>(this, _firstRead.Version);
        }
    }

    private void OnFirstReadCanceled()
    {
        CancellationToken token;
        lock (this)
        {
            if (!_firstReadPending)
            {
                return;
            }

            _firstReadPending = false;
            token = _firstReadCancellation.Token;
        }

        _firstRead.SetException(new OperationCanceledException(token));
    }

    private void EndFirstRead(ReadResult result)
    {
        _firstReadCancellation.Dispose();
        _firstReadCancellation = default;
        _firstRead.SetResult(result);
    }

    private static void AdvanceBeforePipe(SequencePosition consumed)
    {
        // Nothing was read yet, so the only position there is the empty one of a canceled read.
        if (consumed.GetObject() is not null)
        {
            throw new InvalidOperationException("The position does not belong to a read of this input.");
        }
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _firstRead.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _firstRead.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _firstRead.OnCompleted(continuation, state, token, flags);
}
