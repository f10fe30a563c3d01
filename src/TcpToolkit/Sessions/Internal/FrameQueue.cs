using System.Threading.Tasks.Sources;

namespace TcpToolkit.Sessions.Internal;

/// <summary>What <see cref="FrameQueue.Enqueue"/> did with a frame.</summary>
internal enum EnqueueOutcome
{
    /// <summary>Queued (with <see cref="SendQueueFullPolicy.DropOldest"/>, possibly after dropping older frames).</summary>
    Queued,

    /// <summary>The queue was full and the policy dropped the new frame.</summary>
    DroppedNewest,

    /// <summary>The queue was full and the policy is to disconnect: the queue is closed, the caller aborts the connection.</summary>
    Overflowed,

    /// <summary>The queue no longer takes frames (its session is closing or closed).</summary>
    Closed,
}

/// <summary>
/// A bounded queue of shared frames with one consumer: a fixed ring allocated once (so steady state allocates nothing),
/// bounded by a message count and optionally by bytes, with a <see cref="SendQueueFullPolicy"/> applied in the
/// producer's call, which never waits. The consumer waits on the queue itself (a reusable
/// <see cref="IValueTaskSource"/>, one waiter at a time); producers wake it without running it inline.
/// </summary>
internal sealed class FrameQueue : IValueTaskSource
{
    private readonly Lock _lock = new();
    private readonly SharedFrame?[] _ring;
    private readonly long? _byteLimit;
    private readonly SendQueueFullPolicy _policy;
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };
    private int _head;
    private int _count;
    private long _bytes;
    private bool _waiting;
    private bool _completing;
    private bool _closed;
    private bool _full;
    private long _dropped;
    private long _droppedThisEpisode;
    private long _maxBytes;

    public FrameQueue(int limit, long? byteLimit, SendQueueFullPolicy policy)
    {
        _ring = new SharedFrame?[limit];
        _byteLimit = byteLimit;
        _policy = policy;
    }

    /// <summary>Gets the frames queued now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Gets the bytes queued now.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Gets the most bytes this queue ever held at once (tests show the bound holds).</summary>
    public long MaxBytes => Volatile.Read(ref _maxBytes);

    /// <summary>Gets the frames the policy dropped (oldest or newest).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Gets whether the queue takes no more frames.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed || _completing;
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="frame"/> (taking a reference) or applies the full-queue policy.
    /// <paramref name="droppedCount"/> is how many frames were dropped; <paramref name="episodeStarted"/> says this
    /// drop began a full-queue episode (log it once).
    /// </summary>
    public EnqueueOutcome Enqueue(SharedFrame frame, out int droppedCount, out bool episodeStarted)
    {
        droppedCount = 0;
        episodeStarted = false;
        var wake = false;
        EnqueueOutcome outcome;
        lock (_lock)
        {
            if (_closed || _completing)
            {
                return EnqueueOutcome.Closed;
            }

            if (IsFull(frame.Length))
            {
                switch (_policy)
                {
                    case SendQueueFullPolicy.DropNewest:
                        droppedCount = 1;
                        episodeStarted = StartEpisode(1);
                        return EnqueueOutcome.DroppedNewest;
                    case SendQueueFullPolicy.Disconnect:
                        // Everything queued goes with the connection; the caller aborts it.
                        droppedCount = _count + 1;
                        Interlocked.Add(ref _dropped, droppedCount);
                        _closed = true;
                        ReleaseAllLocked();
                        wake = TakeWaiterLocked();
                        outcome = EnqueueOutcome.Overflowed;
                        goto done;
                    default:
                        while (_count > 0 && IsFull(frame.Length))
                        {
                            DequeueLocked()!.Release();
                            droppedCount++;
                        }

                        episodeStarted = StartEpisode(droppedCount);
                        break;
                }
            }

            frame.AddReference();
            _ring[(_head + _count) % _ring.Length] = frame;
            _count++;
            _bytes += frame.Length;
            if (_bytes > _maxBytes)
            {
                Volatile.Write(ref _maxBytes, _bytes);
            }

            wake = TakeWaiterLocked();
            outcome = EnqueueOutcome.Queued;
        }

    done:
        if (wake)
        {
            _signal.SetResult(true);
        }

        return outcome;
    }

    /// <summary>Takes the oldest frame (the caller owns its reference), or returns <see langword="null"/>.</summary>
    public SharedFrame? TryDequeue()
    {
        lock (_lock)
        {
            return _count == 0 ? null : DequeueLocked();
        }
    }

    /// <summary>
    /// Ends a full-queue episode once the consumer has emptied the queue: returns whether one ended and how many
    /// frames it dropped.
    /// </summary>
    public bool TryEndEpisode(out long dropped)
    {
        lock (_lock)
        {
            dropped = _droppedThisEpisode;
            if (!_full || _count > 0)
            {
                return false;
            }

            _full = false;
            _droppedThisEpisode = 0;
            return true;
        }
    }

    /// <summary>Gets whether the queue is empty and will take no more frames: the consumer is done.</summary>
    public bool IsDrained
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 && (_completing || _closed);
            }
        }
    }

    /// <summary>Waits until a frame is queued or the queue is completing or closed. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        lock (_lock)
        {
            if (_count > 0 || _completing || _closed)
            {
                return ValueTask.CompletedTask;
            }

            _signal.Reset();
            _waiting = true;
            return new ValueTask(this, _signal.Version);
        }
    }

    /// <summary>Takes no more frames; the consumer writes what is queued, then stops.</summary>
    public void Complete()
    {
        bool wake;
        lock (_lock)
        {
            _completing = true;
            wake = TakeWaiterLocked();
        }

        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>Takes no more frames and releases the queued ones; returns how many were still queued.</summary>
    public int Close()
    {
        bool wake;
        int released;
        lock (_lock)
        {
            _closed = true;
            released = _count;
            ReleaseAllLocked();
            wake = TakeWaiterLocked();
        }

        if (wake)
        {
            _signal.SetResult(true);
        }

        return released;
    }

    void IValueTaskSource.GetResult(short token) => _signal.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _signal.OnCompleted(continuation, state, token, flags);

    private bool IsFull(int incoming) =>
        _count == _ring.Length || (_byteLimit is { } limit && _count > 0 && _bytes + incoming > limit);

    private bool StartEpisode(long dropped)
    {
        Interlocked.Add(ref _dropped, dropped);
        _droppedThisEpisode += dropped;
        if (_full)
        {
            return false;
        }

        _full = true;
        return true;
    }

    private SharedFrame? DequeueLocked()
    {
        var frame = _ring[_head];
        _ring[_head] = null;
        _head = (_head + 1) % _ring.Length;
        _count--;
        _bytes -= frame!.Length;
        return frame;
    }

    private void ReleaseAllLocked()
    {
        while (_count > 0)
        {
            DequeueLocked()!.Release();
        }
    }

    private bool TakeWaiterLocked()
    {
        if (!_waiting)
        {
            return false;
        }

        _waiting = false;
        return true;
    }
}
