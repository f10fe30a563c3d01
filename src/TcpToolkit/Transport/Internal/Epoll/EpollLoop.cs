using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// One I/O loop: a thread blocked in <c>epoll_wait</c> over the sockets assigned to it, one loop per processor
/// (Kestrel's IOQueue count, Netty's event-loop group; see <see cref="EpollLoopGroup"/>). Sockets register once,
/// edge-triggered for reading and writing; an event wakes the waiting receive or send loop of
/// <see cref="EpollSocketIO"/> <em>on this thread</em>, so a receive, the application's processing of it and the send
/// of its reply run back to back without a thread-pool hop.
/// </summary>
/// <remarks>
/// <para>
/// .NET's own socket engine is built the same way but hands every completion to the thread pool unless
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> is set for the whole process; on one core that hop and its
/// context switch cost a quarter of the throughput. Each registration's event data names a slot of the loop's
/// registry and the slot's generation: an event that names a freed or reused slot (one fetched before its socket
/// left, or one the kernel still reports for a descriptor that outlived our registration in a forked child) is
/// dropped, never dispatched to another socket.
/// </para>
/// <para>
/// Application code runs here too (a handler's code after an await on input, a client's code after
/// <c>ConnectAsync</c>), and it may block. Go's runtime answer is kept (sysmon and handoff, issue #11): the loop
/// publishes a state word that changes at every event it enters; <see cref="EpollWatchdog"/> samples it, and when
/// one event's callback has run for more than a few milliseconds it retires the thread and starts another that takes
/// over the epoll descriptor, first finishing the batch of events already fetched. The retired thread exits when its
/// callback returns. The word packs the owner's generation, an "in a callback" bit and the event sequence; the owner
/// moves from one event to the next with one compare-and-swap, the watchdog retires it with another, and whoever
/// swaps first decides: a retired thread never touches the batch or <c>epoll_wait</c> again.
/// </para>
/// </remarks>
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;
    private const long InCallbackBit = 1L << 32;
    private const int GenerationShift = 33;

    /// <summary>
    /// How long a loop that just handled events polls before it blocks (50 µs), when <see cref="BusyPollPolicy"/>
    /// says polling pays: a reply often comes back within tens of microseconds, and catching it without a sleep and a
    /// wake-up shortens a round trip (.NET's thread pool spins before it sleeps for the same reason).
    /// </summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;

    [ThreadStatic]
    private static bool t_isLoopThread;

    private readonly int _epollFd;
    private readonly byte* _events;
    private readonly Lock _registryLock = new();
    private readonly Stack<int> _freeSlots = new();
    private Slot[] _slots = new Slot[64];
    private int _slotsInUse;
    private int _registeredCount;
    private BusyPollPolicy _busyPoll;

    // Shared with the watchdog. _state: bits 0-31 the sequence number of the current (or last) event, bit 32 set
    // while a callback runs, bits 33-63 the owner's generation. _batchFirstSequence and _batchCount are written by
    // the owner before it publishes the batch's first state, and read by the watchdog only after it retired the owner.
    private long _state;
    private uint _batchFirstSequence;
    private int _batchCount;
    private LoopThread _owner;
    private volatile bool _failed;
    private int _blocked;
    private int _handoffCount;

    /// <summary>When the next handoff of this loop may be logged (<see cref="EpollWatchdog.MayReport"/>).</summary>
    internal long NextReport;

    /// <summary>Handoffs of this loop not logged since its last warning (the watchdog's thread only).</summary>
    internal long Unreported;

    // The watchdog's own notes (only its thread touches them).
    private long _watchedState;
    private long _watchedSince;
    private int _watchedSamples;

    private EpollLoop(int epollFd, string name, BusyPollMode busyPoll)
    {
        _epollFd = epollFd;
        Name = name;
        _busyPoll = new BusyPollPolicy(busyPoll);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * LinuxInterop.EpollEventSize));
        _owner = new LoopThread(this, generation: 0, resumeIndex: 0, resumeCount: 0);
        _owner.Start();
        EpollWatchdog.Watch(this);
    }

    /// <summary>
    /// Gets whether the engine runs here: Linux on x64 or arm64 with glibc, and not switched off with the
    /// <c>TcpToolkit.UseDotNetSocketEngine</c> AppContext switch (runtimeconfig.json).
    /// </summary>
    public static bool IsSupported => EpollLoopGroup.Default is not null;

    /// <summary>Gets whether the calling thread is (or was, until it retired) an I/O loop thread.</summary>
    public static bool IsLoopThread => t_isLoopThread;

    /// <summary>Gets the loop's name, as its threads are named (for logs).</summary>
    public string Name { get; }

    /// <summary>Gets whether <c>epoll_wait</c> failed: the loop is dead and takes no sockets.</summary>
    public bool IsFailed => _failed;

    /// <summary>Gets how many sockets are registered (for tests and diagnostics).</summary>
    public int RegisteredCount
    {
        get
        {
            lock (_registryLock)
            {
                return _registeredCount;
            }
        }
    }

    /// <summary>Gets how many times a blocked thread was replaced (for tests and diagnostics).</summary>
    public int HandoffCount => Volatile.Read(ref _handoffCount);

    /// <summary>Gets the epoll descriptor (tests that break it).</summary>
    internal int EpollFd => _epollFd;

    /// <summary>Creates a loop and starts its thread; <see langword="null"/> when <c>epoll_create1</c> fails.</summary>
    public static EpollLoop? Create(string name, BusyPollMode busyPoll)
    {
        var fd = LinuxInterop.EpollCreate(LinuxInterop.EpollCloexec);
        return fd < 0 ? null : new EpollLoop(fd, name, busyPoll);
    }

    /// <summary>Adds <paramref name="fd"/> for edge-triggered readiness, reported to <paramref name="target"/>.</summary>
    /// <returns>The registration token (slot and generation) to pass to <see cref="Unregister"/>.</returns>
    /// <exception cref="SocketException"><c>epoll_ctl</c> failed (ENOSPC, ENOMEM), or the loop has failed.</exception>
    public nint Register(int fd, EpollSocketIO target)
    {
        var ev = stackalloc byte[16];

        // PRI: TCP urgent data. A recv stops short at the urgent mark with bytes still queued and no new edge to come;
        // the event tells the receive loop to try again instead of waiting (see EpollSocketIO.ReceiveAsync).
        *(uint*)ev = LinuxInterop.EpollIn | LinuxInterop.EpollPri | LinuxInterop.EpollOut | LinuxInterop.EpollRdHup | LinuxInterop.EpollEdgeTriggered;
        lock (_registryLock)
        {
            // Checked under the lock that AbortConnections takes after setting _failed: a socket either sees the
            // failure here or is aborted with the others.
            if (_failed)
            {
                throw new SocketException((int)SocketError.NetworkDown);
            }

            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : NewSlot();
            var slots = _slots;

            // Generation first, then the target (both published): a reader that sees the new target sees the new
            // generation, so an old event of this slot is never taken for the new socket.
            var generation = slots[slot].Generation + 1;
            Volatile.Write(ref slots[slot].Generation, generation);
            Volatile.Write(ref slots[slot].Target, target);
            var token = (nint)(((long)generation << 32) | (uint)slot);
            *(ulong*)(ev + LinuxInterop.EpollDataOffset) = (ulong)token;
            if (LinuxInterop.EpollCtl(_epollFd, LinuxInterop.EpollCtlAdd, fd, ev) != 0)
            {
                var error = LinuxInterop.ToSocketError(Marshal.GetLastPInvokeError());
                Volatile.Write(ref slots[slot].Target, null);
                _freeSlots.Push(slot);
                throw new SocketException((int)error);
            }

            _registeredCount++;
            return token;
        }
    }

    /// <summary>
    /// Removes a registration: <c>EPOLL_CTL_DEL</c> while <paramref name="fd"/> is still open (or -1 when it is not),
    /// and the slot is free at once; events still naming it (fetched already, or reported late) are dropped by their
    /// generation.
    /// </summary>
    public void Unregister(int fd, nint token, EpollSocketIO target)
    {
        if (fd >= 0)
        {
            // The descriptor is still open (the caller holds a reference on its SafeHandle), so this cannot hit a reused fd.
            _ = LinuxInterop.EpollCtl(_epollFd, LinuxInterop.EpollCtlDel, fd, null);
        }

        var slot = (int)(token & 0xFFFF_FFFF);
        var generation = (uint)((long)token >> 32);
        lock (_registryLock)
        {
            var slots = _slots;
            if (slot < slots.Length && slots[slot].Generation == generation && ReferenceEquals(slots[slot].Target, target))
            {
                Volatile.Write(ref slots[slot].Target, null);
                _freeSlots.Push(slot);
                _registeredCount--;
            }
        }
    }

    /// <summary>Takes a never-used slot, growing the table (under the registry lock).</summary>
    private int NewSlot()
    {
        if (_slotsInUse == _slots.Length)
        {
            // Readers keep the old table until they read the field again: a slot freed meanwhile may still deliver one
            // late event to its old (closed) socket from there, never to another socket.
            var grown = new Slot[_slots.Length * 2];
            Array.Copy(_slots, grown, _slots.Length);
            Volatile.Write(ref _slots, grown);
        }

        return _slotsInUse++;
    }

    /// <summary>
    /// Called by the watchdog on each tick: notes the loop's state and hands the loop off when one callback has held
    /// it since <see cref="EpollWatchdog.StuckTicks"/> ago and over at least two ticks (a single long gap between
    /// ticks, such as a GC pause that stopped every thread, is not taken for a blocked callback).
    /// </summary>
    /// <returns>Whether the loop is idle: blocked in <c>epoll_wait</c>, or failed.</returns>
    internal bool Watch(long now)
    {
        if (_failed)
        {
            return true;
        }

        var state = Volatile.Read(ref _state);
        if ((state & InCallbackBit) == 0)
        {
            _watchedState = state;
            _watchedSamples = 0;
            return Volatile.Read(ref _blocked) != 0;
        }

        if (state != _watchedState)
        {
            _watchedState = state;
            _watchedSince = now;
            _watchedSamples = 0;
            return false;
        }

        if (++_watchedSamples >= 2 && now - _watchedSince >= EpollWatchdog.StuckTicks)
        {
            _watchedSamples = 0;
            HandOff(state, _watchedSince, now);
        }

        return false;
    }

    private static long Pack(long generation, bool inCallback, uint sequence)
        => (generation << GenerationShift) | (inCallback ? InCallbackBit : 0) | sequence;

    /// <summary>Retires the owner stuck in the callback of <paramref name="observed"/>, if it still is, and starts a new one.</summary>
    private void HandOff(long observed, long stuckSince, long now)
    {
        var generation = observed >>> GenerationShift;
        var sequence = (uint)observed;
        var stuck = Volatile.Read(ref _owner);
        var report = EpollWatchdog.MayReport(this, now);
        stuck.StuckSince = stuckSince;
        stuck.ReportReturn = report;

        // The replacement exists before the swap, so a failed allocation changes nothing.
        var replacement = new LoopThread(this, generation + 1, resumeIndex: 0, resumeCount: 0);
        if (Interlocked.CompareExchange(ref _state, Pack(generation + 1, inCallback: false, sequence), observed) != observed)
        {
            // The callback returned just now: the owner won, nothing to do.
            return;
        }

        // Retired. The stuck thread's next compare-and-swap fails and it exits; the replacement goes on with the next
        // event of the batch already fetched (a callback that blocks never loses the events behind it).
        replacement.ResumeIndex = (int)(sequence - _batchFirstSequence) + 1;
        replacement.ResumeCount = _batchCount;
        Volatile.Write(ref _owner, replacement);
        Interlocked.Increment(ref _handoffCount);
        try
        {
            replacement.Start();
        }
        catch (Exception ex) when (ex is OutOfMemoryException or ThreadStartException)
        {
            EngineLog.HandoffFailed(Name, ex);
            Fail(errno: 0, abortInline: false);
            return;
        }

        if (report)
        {
            EpollWatchdog.Reported(now, this, Stopwatch.GetElapsedTime(stuckSince, now));
        }
        else
        {
            EpollWatchdog.Unreported(this);
        }
    }

    private void Run(LoopThread me)
    {
        t_isLoopThread = true;
        if (me.ResumeCount > 0)
        {
            // Handed over by the watchdog: finish the batch the blocked thread had fetched.
            if (me.ResumeIndex < me.ResumeCount && !RunBatch(me, me.ResumeIndex, me.ResumeCount))
            {
                return;
            }
        }

        long pollUntil = 0;
        while (true)
        {
            var timeout = -1;
            if (pollUntil != 0)
            {
                if (Stopwatch.GetTimestamp() < pollUntil)
                {
                    timeout = 0;
                }
                else
                {
                    pollUntil = 0;
                    _busyPoll.OnMiss();
                }
            }

            int count;
            if (timeout == 0)
            {
                count = LinuxInterop.EpollWait(_epollFd, _events, MaxEvents, 0);
            }
            else
            {
                Volatile.Write(ref _blocked, 1);
                count = LinuxInterop.EpollWait(_epollFd, _events, MaxEvents, -1);

                // A full fence before the watchdog's "parked" flag is read (see EpollWatchdog.OnLoopWoke).
                Interlocked.Exchange(ref _blocked, 0);
                EpollWatchdog.OnLoopWoke();
            }

            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxInterop.EIntr)
                {
                    continue;
                }

                // Never Environment.FailFast (issue #11): this loop's connections end with an abort, the others and
                // new ones are not affected.
                Fail(errno, abortInline: true);
                return;
            }

            if (count == 0)
            {
                continue;
            }

            if (pollUntil != 0)
            {
                pollUntil = 0;
                _busyPoll.OnHit();
            }

            if (!RunBatch(me, 0, count))
            {
                return;
            }

            if (_busyPoll.ShouldPoll())
            {
                pollUntil = Stopwatch.GetTimestamp() + SpinTicks;
            }
        }
    }

    /// <summary>Runs events <paramref name="first"/> to <paramref name="count"/> - 1 of the fetched batch.</summary>
    /// <returns><see langword="false"/> when the watchdog retired this thread meanwhile: it must exit at once.</returns>
    private bool RunBatch(LoopThread me, int first, int count)
    {
        var generation = me.Generation;

        // Only the owner writes the state while no callback runs, so this read is its own last write.
        var sequence = (uint)Volatile.Read(ref _state) + 1;
        _batchFirstSequence = sequence - (uint)first;
        _batchCount = count;
        var current = Pack(generation, inCallback: true, sequence);
        Volatile.Write(ref _state, current);

        var stride = LinuxInterop.EpollEventSize;
        for (var i = first; i < count; i++)
        {
            Dispatch(_events + (i * stride));

            // The one atomic operation per event: step to the next event (or out of the batch) unless retired.
            var next = Pack(generation, inCallback: i + 1 < count, sequence + 1);
            if (Interlocked.CompareExchange(ref _state, next, current) != current)
            {
                if (me.ReportReturn)
                {
                    EngineLog.BlockingCallbackReturned(Name, (long)Stopwatch.GetElapsedTime(me.StuckSince).TotalMilliseconds);
                }

                return false;
            }

            current = next;
            sequence++;
        }

        return true;
    }

    private void Dispatch(byte* ev)
    {
        var token = *(long*)(ev + LinuxInterop.EpollDataOffset);
        var slot = (int)(token & 0xFFFF_FFFF);
        var slots = Volatile.Read(ref _slots);
        if (slot >= slots.Length
            || Volatile.Read(ref slots[slot].Target) is not { } target
            || Volatile.Read(ref slots[slot].Generation) != (uint)(token >> 32))
        {
            // A late event of a socket that has left the loop.
            return;
        }

        try
        {
            target.OnEvents(*(uint*)ev);
        }
        catch (Exception ex)
        {
            // A continuation that threw out of its wake-up (the pumps' own never do). Only this connection pays.
            EngineLog.ContinuationFaulted(Name, ex);
            target.Fail("A continuation on the connection's I/O loop threw; see the inner exception.", ex);
        }
    }

    /// <summary>The loop cannot serve any more: take no new sockets and abort the registered ones.</summary>
    private void Fail(int errno, bool abortInline)
    {
        _failed = true;
        List<EpollSocketIO> live = [];
        lock (_registryLock)
        {
            foreach (var slot in _slots)
            {
                if (slot.Target is { } target)
                {
                    live.Add(target);
                }
            }
        }

        var sockets = live.ToArray();

        if (errno != 0)
        {
            EngineLog.LoopFailed(Name, errno, sockets.Length);
        }

        if (abortInline)
        {
            // On the dying loop's own thread: nothing else will ever run here.
            AbortConnections(sockets, errno);
        }
        else
        {
            // On the watchdog: the waiters' continuations must not run on it.
            ThreadPool.UnsafeQueueUserWorkItem(state => AbortConnections(state, errno), sockets, preferLocal: false);
        }
    }

    private static void AbortConnections(EpollSocketIO[] sockets, int errno)
    {
        foreach (var socket in sockets)
        {
            socket.Fail(
                "The connection's I/O loop failed; see the engine's Critical log.",
                errno != 0 ? new SocketException((int)LinuxInterop.ToSocketError(errno)) : null);
        }
    }

    /// <summary>One thread that owns (or owned) the loop, from its start to its retirement.</summary>
    private sealed class LoopThread(EpollLoop loop, long generation, int resumeIndex, int resumeCount)
    {
        private readonly Thread _thread = new(static state => ((LoopThread)state!).RunLoop())
        {
            IsBackground = true,
            Name = generation == 0 ? loop.Name : $"{loop.Name} ({generation})",
        };

        public long Generation { get; } = generation;

        /// <summary>Gets or sets the index of the first event of the inherited batch this thread runs.</summary>
        public int ResumeIndex { get; set; } = resumeIndex;

        /// <summary>Gets or sets the size of the inherited batch (0: none).</summary>
        public int ResumeCount { get; set; } = resumeCount;

        /// <summary>Gets or sets when the watchdog first saw this thread in the callback that got it retired.</summary>
        public long StuckSince { get; set; }

        /// <summary>Gets or sets whether the handoff was logged, so the return is logged too.</summary>
        public bool ReportReturn { get; set; }

        // Thread start is a full barrier: the new thread sees every field set before.
        public void Start() => _thread.UnsafeStart(this);

        private void RunLoop() => loop.Run(this);
    }

    /// <summary>One registration: the socket, and how many registrations the slot has had (the event's check).</summary>
    private struct Slot
    {
        public EpollSocketIO? Target;
        public uint Generation;
    }
}
