using System.Buffers;
using System.IO.Pipelines;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// Every frame a channel sends goes through here: writers copy their frame in under one lock (so frames never
/// interleave, and a caller's payload is copied before its call returns), and one flush at a time sends what has
/// gathered (coalescing: one flush, one send, for all the frames written while the previous flush ran or before the
/// scheduled one started). While a flush is in progress, frames go to a side buffer that the flusher moves into the
/// pipe after it; the pipe writer is touched by one thread at a time, and completed (the close) only by the flusher
/// after the last flush, under the same lock: a close can never overtake or cut into a write.
/// </summary>
/// <remarks>
/// No caller ever awaits its own flush, so a cancelled caller cannot strand bytes: they are already in the buffer and
/// the flusher, which uses no caller's token, sends them. Callers that should slow down when the peer does not read
/// (replies, one-way messages) check <see cref="HasRoom"/> or await <see cref="WaitForRoomAsync"/>; control frames
/// (pong, cancel, errors) never wait.
/// </remarks>
internal sealed class OutputWriter : IThreadPoolWorkItem
{
    // Bytes written straight into the pipe since the last flush above which the writer flushes at once.
    private const int DirectFlushThreshold = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly PipeWriter _pipe;
    private readonly PooledBufferWriter _side = new();
    private readonly int _sideCapacity;
    private readonly Action<Exception> _onFailure;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _room;
    private bool _flushing;
    private bool _scheduled;
    private bool _completeRequested;
    private bool _closed;
    private int _directBytes;
    private long _sideHighWater;

    /// <param name="pipe">The connection's output.</param>
    /// <param name="sideCapacity">Bytes the side buffer may hold before <see cref="HasRoom"/> turns false.</param>
    /// <param name="onFailure">Told once when a flush fails or finds the output completed.</param>
    public OutputWriter(PipeWriter pipe, int sideCapacity, Action<Exception> onFailure)
    {
        _pipe = pipe;
        _sideCapacity = sideCapacity;
        _onFailure = onFailure;
    }

    /// <summary>Gets whether the side buffer is below its capacity (the peer takes what is sent).</summary>
    public bool HasRoom
    {
        get
        {
            lock (_lock)
            {
                return _side.WrittenCount < _sideCapacity;
            }
        }
    }

    /// <summary>Gets the most bytes the side buffer has held (for tests of the memory bound).</summary>
    public long SideHighWater => Volatile.Read(ref _sideHighWater);

    /// <summary>Gets a task that completes when the output is completed (after the last flush) or failed.</summary>
    public Task Completed => _completed.Task;

    /// <summary>
    /// Enters the write lock and returns where the next frame goes, or <see langword="false"/> (lock not held) when
    /// the output is closed. The caller must call <see cref="EndWrite"/> after writing exactly one whole frame.
    /// </summary>
    public bool TryBeginWrite(out IBufferWriter<byte> output)
    {
        _lock.Enter();
        if (_closed || _completeRequested)
        {
            _lock.Exit();
            output = null!;
            return false;
        }

        output = _flushing ? _side : _pipe;
        return true;
    }

    /// <summary>Leaves the write lock and makes sure a flush will send the frame: now on this thread, or scheduled.</summary>
    /// <param name="written">The frame's length (for the direct-write threshold).</param>
    /// <param name="flushNow">Flush on this thread if no flush is running (the caller has no more frames to add).</param>
    public void EndWrite(int written, bool flushNow)
    {
        var flush = false;
        if (_flushing)
        {
            var side = _side.WrittenCount;
            if (side > _sideHighWater)
            {
                Volatile.Write(ref _sideHighWater, side);
            }
        }
        else
        {
            _directBytes += written;
            if (flushNow || _directBytes >= DirectFlushThreshold)
            {
                _flushing = flush = true;
            }
            else if (!_scheduled)
            {
                _scheduled = true;
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }

        _lock.Exit();
        if (flush)
        {
            RunFlush();
        }
    }

    /// <summary>Flushes now on this thread if no flush runs and something waits (the end of a batch).</summary>
    public void FlushNow()
    {
        lock (_lock)
        {
            if (_flushing || _closed || _directBytes == 0)
            {
                return;
            }

            _flushing = true;
        }

        RunFlush();
    }

    /// <summary>Waits until the side buffer is below its capacity (or the output closed).</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_closed || _side.WrittenCount < _sideCapacity)
            {
                return Task.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Completes the output after everything written so far is flushed (the FIN goes after the last frame). Later
    /// writes fail. The task completes when the pipe is completed or the output failed.
    /// </summary>
    public Task CompleteAsync()
    {
        var flush = false;
        lock (_lock)
        {
            if (_closed || _completeRequested)
            {
                return _completed.Task;
            }

            _completeRequested = true;
            if (!_flushing)
            {
                _flushing = flush = true;
            }
        }

        if (flush)
        {
            RunFlush();
        }

        return _completed.Task;
    }

    /// <summary>Marks the output closed without flushing (the connection is gone). Pending bytes are dropped.</summary>
    public void Close()
    {
        TaskCompletionSource? room;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            room = _room;
            _room = null;
            if (!_flushing)
            {
                // No flusher holds the pipe: nobody else writes after this, so the buffers can go now.
                _side.ReturnBuffer();
            }
        }

        room?.TrySetResult();
        _completed.TrySetResult();
    }

    void IThreadPoolWorkItem.Execute()
    {
        lock (_lock)
        {
            _scheduled = false;
            if (_flushing || _closed || _directBytes == 0)
            {
                return;
            }

            _flushing = true;
        }

        RunFlush();
    }

    // Called with _flushing set by this thread; ends by clearing it (or by closing).
    private void RunFlush()
    {
        while (true)
        {
            ValueTask<FlushResult> pending;
            try
            {
                lock (_lock)
                {
                    _directBytes = 0;
                }

                pending = _pipe.FlushAsync(CancellationToken.None);
            }
            catch (Exception ex)
            {
                Fail(ex);
                return;
            }

            if (!pending.IsCompletedSuccessfully)
            {
                _ = AwaitFlushAsync(pending);
                return;
            }

            if (!AfterFlush(pending.Result))
            {
                return;
            }
        }
    }

    private async Task AwaitFlushAsync(ValueTask<FlushResult> pending)
    {
        try
        {
            var result = await pending.ConfigureAwait(false);
            if (AfterFlush(result))
            {
                RunFlush();
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    // True: more to flush (the side buffer was moved into the pipe).
    private bool AfterFlush(FlushResult result)
    {
        if (result.IsCompleted || result.IsCanceled)
        {
            Fail(new InvalidOperationException("The connection's output was completed by the transport."));
            return false;
        }

        TaskCompletionSource? room = null;
        var complete = false;
        var moved = false;
        Exception? failure = null;
        lock (_lock)
        {
            if (_closed)
            {
                _side.ReturnBuffer();
                _flushing = false;
                return false;
            }

            if (_side.WrittenCount > 0)
            {
                try
                {
                    _pipe.Write(_side.WrittenSpan);
                }
                catch (Exception ex)
                {
                    _flushing = false;
                    failure = FailLocked(ex);
                }

                if (failure is null)
                {
                    _side.Reset();
                    room = _room;
                    _room = null;
                    moved = true;
                }
            }
            else if (_completeRequested)
            {
                complete = true;
                _closed = true;
                _flushing = false;
                try
                {
                    _pipe.Complete();
                }
                catch (InvalidOperationException)
                {
                    // Completed underneath already: the close has happened either way.
                }

                _side.ReturnBuffer();
            }
            else
            {
                _flushing = false;
            }
        }

        room?.TrySetResult();
        if (failure is not null)
        {
            _onFailure(failure);
            return false;
        }

        if (complete)
        {
            _completed.TrySetResult();
            return false;
        }

        return moved;
    }

    private void Fail(Exception exception)
    {
        Exception? failure;
        lock (_lock)
        {
            _flushing = false;
            failure = FailLocked(exception);
        }

        if (failure is not null)
        {
            _onFailure(failure);
        }
    }

    // Returns the exception to report (outside the lock), or null when the output was closed already.
    private Exception? FailLocked(Exception exception)
    {
        var wasClosed = _closed;
        _closed = true;
        _side.ReturnBuffer();
        var room = _room;
        _room = null;
        room?.TrySetResult();
        _completed.TrySetResult();
        return wasClosed ? null : exception;
    }
}
