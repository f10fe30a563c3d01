using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace TcpToolkit.Datagrams.Internal;

/// <summary>
/// The bounded queue between an endpoint's receive loop (the one producer) and its reader (one at a time). A ring of
/// <c>capacity + 1</c> slots: up to <c>capacity</c> datagrams wait, and one more is held by the reader until it asks
/// for the next, so a full queue never takes the datagram being read from under it. When the queue is full,
/// <see cref="TryEnqueue"/> refuses and the caller drops the datagram (drop newest). The reader's wait is this
/// object itself (an <see cref="IValueTaskSource{TResult}"/> reset per wait), so waiting allocates nothing; its
/// continuation runs on the thread pool, never inline on the receive loop.
/// </summary>
internal sealed class DatagramQueue : IValueTaskSource<bool>
{
    private static readonly Action<object?> CancelWaitCallback = static state => ((DatagramQueue)state!).CancelWait();

    private readonly Lock _lock = new();
    private readonly DatagramSlot[] _slots;
    private readonly int _capacity;
    private readonly DatagramBufferPool _pool;

    private ManualResetValueTaskSourceCore<bool> _waitCore = new() { RunContinuationsAsynchronously = true };
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _waitRegistration;
    private bool _waiting;

    private int _head;
    private int _count;
    private DatagramSlot? _held;
    private bool _hasReader;
    private bool _completed;
    private Exception? _error;

    public DatagramQueue(int capacity, int maxDatagramSize, AddressFamily family, UdpEndpoint owner)
    {
        _capacity = capacity;
        _slots = new DatagramSlot[capacity + 1];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new DatagramSlot(family, owner);
        }

        _pool = new DatagramBufferPool(maxDatagramSize, _slots.Length);
    }

    /// <summary>Gets the buffers rented and not yet returned (tests: disposal returns them all).</summary>
    public long OutstandingBuffers => _pool.Outstanding;

    /// <summary>
    /// Producer: copies a datagram into the next free slot, or returns <see langword="false"/> when the queue is full
    /// or completed (the caller counts the drop).
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> payload, SocketAddress address, bool truncated)
    {
        int tail;
        lock (_lock)
        {
            if (_completed || _count >= _capacity)
            {
                return false;
            }

            tail = (_head + _count) % _slots.Length;
        }

        // Outside the lock: with one producer the tail slot is neither queued nor held until the count includes it
        // (the held slot is head - 1 and the tail is at most head + capacity - 1 in a ring of capacity + 1).
        _slots[tail].Fill(payload, address, truncated, _pool);

        bool wake;
        lock (_lock)
        {
            _count++;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            _waitCore.SetResult(true);
        }

        return true;
    }

    /// <summary>Reader: becomes the one reader; a second at the same time is a bug in the caller.</summary>
    public void EnterReader()
    {
        lock (_lock)
        {
            if (_hasReader)
            {
                throw new InvalidOperationException("Another ReadAllAsync is already reading this endpoint; datagrams have one reader at a time.");
            }

            _hasReader = true;
        }
    }

    /// <summary>Reader: stops reading and releases the datagram it held.</summary>
    public void ExitReader()
    {
        lock (_lock)
        {
            ReleaseHeldLocked();
            _hasReader = false;
        }
    }

    /// <summary>Reader: releases the datagram it held and takes the next queued one, if any.</summary>
    public bool TryRead(out Datagram datagram)
    {
        lock (_lock)
        {
            ReleaseHeldLocked();
            if (_count == 0)
            {
                datagram = default;
                return false;
            }

            var slot = _slots[_head];
            _head = (_head + 1) % _slots.Length;
            _count--;
            _held = slot;
            datagram = new Datagram(slot, slot.Version);
            return true;
        }
    }

    /// <summary>
    /// Reader: releases the datagram it held and waits until a datagram is queued (<see langword="true"/>) or the
    /// queue is completed and empty (<see langword="false"/>, or the receive loop's failure).
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ReleaseHeldLocked();
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return _error is null
                    ? new ValueTask<bool>(false)
                    : ValueTask.FromException<bool>(new IOException("The UDP endpoint's receive loop stopped: " + _error.Message, _error));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            _waitCore.Reset();
            _waiting = true;
            _waitToken = cancellationToken;

            // Registered under the lock, so a producer cannot complete the wait before the registration exists (the
            // lock is re-entrant: a token cancelled meanwhile runs CancelWait right here). Cancellation tokens reuse
            // their registration nodes, so a long-lived token costs nothing per wait.
            _waitRegistration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(CancelWaitCallback, this)
                : default;
            return new ValueTask<bool>(this, _waitCore.Version);
        }
    }

    /// <summary>
    /// No more datagrams: returns the buffers of those still queued (the one the reader holds goes back when the reader
    /// moves on), and ends the reader's wait: cleanly, or with <paramref name="error"/> once the queue is drained.
    /// </summary>
    public void Complete(Exception? error)
    {
        bool wake;
        lock (_lock)
        {
            if (error is not null)
            {
                if (_completed)
                {
                    return;
                }

                // A failed receive loop: the datagrams queued before it are still delivered, then the error.
                _error = error;
            }
            else
            {
                // Disposal (also after a failure): what nobody read is discarded and the reader ends cleanly.
                _error = null;
                while (_count > 0)
                {
                    _slots[_head].Release(_pool);
                    _head = (_head + 1) % _slots.Length;
                    _count--;
                }
            }

            _completed = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            if (error is null)
            {
                _waitCore.SetResult(false);
            }
            else if (_count > 0)
            {
                _waitCore.SetResult(true);
            }
            else
            {
                _waitCore.SetException(new IOException("The UDP endpoint's receive loop stopped: " + error.Message, error));
            }
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        try
        {
            return _waitCore.GetResult(token);
        }
        finally
        {
            _waitRegistration.Dispose();
            _waitRegistration = default;
        }
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waitCore.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _waitCore.OnCompleted(continuation, state, token, flags);

    private void CancelWait()
    {
        CancellationToken token;
        lock (_lock)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
            token = _waitToken;
        }

        _waitCore.SetException(new OperationCanceledException(token));
    }

    private void ReleaseHeldLocked()
    {
        if (_held is { } held)
        {
            _held = null;
            held.Release(_pool);
        }
    }
}
