using System.Threading.Tasks.Sources;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// Readiness of one direction of a socket, as a sequence of edge-triggered epoll events plus at most one waiter.
/// The I/O loop calls <see cref="Signal"/>; the one receive (or send) loop calls <see cref="Observe"/> before each
/// system call and, when that call would block, awaits <see cref="WaitAsync"/>, which completes at once if an event
/// arrived since the observation (so an edge that fires between the call and the wait is never lost).
/// </summary>
/// <remarks>
/// The waiter's continuation runs inline on the thread that signals (the I/O loop): the receive, the application's
/// processing and the reply's send run back to back there; if that blocks, the loop's watchdog hands the loop to a new
/// thread (<see cref="EpollLoop"/>). One awaitable is reused for every wait: no allocation.
/// </remarks>
internal sealed class Readiness : IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _source = new() { RunContinuationsAsynchronously = false };
    private int _sequence;
    private int _observed;
    private int _waiting;
    private volatile bool _closed;

    /// <summary>Notes the events seen so far; call before the system call whose would-block result may be waited on.</summary>
    public void Observe() => _observed = Volatile.Read(ref _sequence);

    /// <summary>Gets whether <see cref="WaitAsync"/> would complete at once: an event arrived since the last <see cref="Observe"/>, or the direction is closed.</summary>
    public bool IsReady => _closed || Volatile.Read(ref _sequence) != _observed;

    /// <summary>Waits for an event after the last <see cref="Observe"/> (or for <see cref="Close"/>); returns 0.</summary>
    public ValueTask<int> WaitAsync()
    {
        if (_closed || Volatile.Read(ref _sequence) != _observed)
        {
            return new ValueTask<int>(0);
        }

        _source.Reset();
        Interlocked.Exchange(ref _waiting, 1);
        if ((_closed || Volatile.Read(ref _sequence) != _observed) && Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            // An event arrived while registering and nobody took the waiter: no need to wait.
            return new ValueTask<int>(0);
        }

        return new ValueTask<int>(this, _source.Version);
    }

    /// <summary>
    /// Waits as <see cref="WaitAsync"/> does, by callback: returns <see langword="true"/> when the wait would complete
    /// at once; otherwise <paramref name="callback"/> runs once with <paramref name="state"/> at the next event (on the
    /// signalling thread; on the thread pool if the event raced this registration). No awaiting state machine: the
    /// idle receive side holds nothing but this object.
    /// </summary>
    public bool WaitThen(Action<object?> callback, object? state)
    {
        var wait = WaitAsync();
        if (wait.IsCompleted)
        {
            return true;
        }

        _source.OnCompleted(callback, state, _source.Version, ValueTaskSourceOnCompletedFlags.None);
        return false;
    }

    /// <summary>Records an event and resumes the waiter, if any, on this thread.</summary>
    public void Signal()
    {
        Interlocked.Increment(ref _sequence);
        if (Volatile.Read(ref _waiting) == 1 && Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _source.SetResult(0);
        }
    }

    /// <summary>
    /// Makes this direction ready for good (FIN, error, or the socket closing): every wait ends at once and the next
    /// system call reports the state.
    /// </summary>
    public void Close()
    {
        _closed = true;
        Signal();
    }

    int IValueTaskSource<int>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);
}
