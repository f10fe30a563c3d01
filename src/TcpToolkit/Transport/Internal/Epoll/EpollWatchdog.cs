using System.Diagnostics;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// One background thread per process that watches every <see cref="EpollLoop"/>, like the Go runtime's sysmon: every
/// <see cref="Period"/> it samples each loop's state word, and a loop whose thread has been inside one callback for
/// <see cref="StuckTicks"/> is handed to a new thread (<see cref="EpollLoop"/> explains the handoff). It costs the data
/// path nothing but the compare-and-swap per event the handoff needs; the thread itself wakes 200 times a second
/// while a loop is busy, and parks after a second in which every loop sat blocked in <c>epoll_wait</c> (the first loop
/// that wakes up wakes it).
/// </summary>
internal static class EpollWatchdog
{
    /// <summary>How often the loops are sampled.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How long one callback may keep a loop before the loop is handed off: 10 ms (Go preempts a goroutine after the
    /// same time). A loop is handed off 10-15 ms into a blocking call; the other connections on it wait that long once.
    /// </summary>
    public static readonly long StuckTicks = Stopwatch.Frequency / 100;

    /// <summary>At most one handoff warning per this interval; the next one counts those not logged.</summary>
    private static readonly long ReportIntervalTicks = Stopwatch.Frequency * 10;

    private const int IdleTicksBeforeParking = 200;

    private static readonly Lock s_lock = new();
    private static readonly AutoResetEvent s_wake = new(initialState: false);
    private static EpollLoop[] s_loops = [];
    private static Thread? s_thread;
    private static int s_parked;

    /// <summary>Adds a loop to watch (and starts the watchdog with the first one).</summary>
    public static void Watch(EpollLoop loop)
    {
        lock (s_lock)
        {
            Volatile.Write(ref s_loops, [.. s_loops, loop]);
            if (s_thread is null)
            {
                s_thread = new Thread(Run) { IsBackground = true, Name = "TcpToolkit epoll watchdog" };
                s_thread.UnsafeStart();
            }
        }
    }

    /// <summary>
    /// Called by a loop right after a blocking <c>epoll_wait</c> returned (after a full fence): wakes the watchdog if
    /// it parked. One read of a shared flag per blocking wake-up, nothing per event.
    /// </summary>
    public static void OnLoopWoke()
    {
        if (Volatile.Read(ref s_parked) != 0)
        {
            Wake();
        }
    }

    /// <summary>
    /// Gets whether a handoff of <paramref name="loop"/> at <paramref name="now"/> may be logged (the watchdog's thread
    /// only). The limit is per loop: one warning per loop per interval, so a loop that keeps being handed off cannot
    /// hide the first handoff of another.
    /// </summary>
    internal static bool MayReport(EpollLoop loop, long now) => now >= Volatile.Read(ref loop.NextReport);

    /// <summary>Logs a handoff that <see cref="MayReport"/> allowed and starts the loop's next interval.</summary>
    internal static void Reported(long now, EpollLoop loop, TimeSpan blocked)
    {
        var unreported = loop.Unreported;
        loop.Unreported = 0;
        Volatile.Write(ref loop.NextReport, now + ReportIntervalTicks);
        EngineLog.LoopHandedOff(loop.Name, (long)blocked.TotalMilliseconds, unreported);
    }

    /// <summary>Counts a handoff of <paramref name="loop"/> that was not logged.</summary>
    internal static void Unreported(EpollLoop loop) => loop.Unreported++;

    /// <summary>Lets the next handoff of every loop be logged whatever was logged before (tests that read the warning).</summary>
    internal static void ResetReportLimitForTests()
    {
        foreach (var loop in Volatile.Read(ref s_loops))
        {
            Volatile.Write(ref loop.NextReport, 0);
        }
    }

    private static void Wake()
    {
        if (Interlocked.Exchange(ref s_parked, 0) != 0)
        {
            s_wake.Set();
        }
    }

    private static void Run()
    {
        var idleTicks = 0;
        while (true)
        {
            Thread.Sleep(Period);
            var now = Stopwatch.GetTimestamp();
            var allIdle = true;
            foreach (var loop in Volatile.Read(ref s_loops))
            {
                allIdle &= loop.Watch(now);
            }

            if (!allIdle || ++idleTicks < IdleTicksBeforeParking)
            {
                if (!allIdle)
                {
                    idleTicks = 0;
                }

                continue;
            }

            // Park. Announce it first, then look again: a loop that woke in between either sees the flag (and wakes
            // us) or is seen awake here (both sides write with a full fence before they read the other's flag).
            idleTicks = 0;
            Interlocked.Exchange(ref s_parked, 1);
            var stillIdle = true;
            foreach (var loop in Volatile.Read(ref s_loops))
            {
                stillIdle &= loop.Watch(now);
            }

            if (stillIdle)
            {
                s_wake.WaitOne();
            }

            Interlocked.Exchange(ref s_parked, 0);
        }
    }
}
