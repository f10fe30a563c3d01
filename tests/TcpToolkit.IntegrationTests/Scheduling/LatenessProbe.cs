using System.Diagnostics;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Measures how late the machine itself runs a thread that asked to wake up: a dedicated thread (not the thread pool,
/// not an I/O loop) sleeps 1 ms at a time and records by how much each wake-up overshot. On an idle machine that is
/// well under a millisecond; on a 2-core machine shared with builds it can reach tens. The scheduling tests allow
/// their 100 ms on top of it, so they measure what TcpToolkit does, not what the neighbours do.
/// </summary>
internal sealed class LatenessProbe : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(1);

    private readonly Thread _thread;
    private volatile bool _stopped;
    private long _maxLatenessTicks;

    public LatenessProbe()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "Scheduling lateness probe" };
        _thread.Start();
    }

    /// <summary>Gets the longest overshoot of a 1 ms sleep since the start or the last <see cref="Reset"/>.</summary>
    public TimeSpan MaxLateness => TimeSpan.FromTicks(Interlocked.Read(ref _maxLatenessTicks));

    public void Reset() => Interlocked.Exchange(ref _maxLatenessTicks, 0);

    public void Dispose()
    {
        _stopped = true;
        _thread.Join();
    }

    private void Run()
    {
        while (!_stopped)
        {
            var before = Stopwatch.GetTimestamp();

            // The sleep is the measurement: how much later than asked does the OS run this thread again.
            Thread.Sleep(Interval);
            var lateness = Stopwatch.GetElapsedTime(before) - Interval;
            var ticks = lateness.Ticks;
            var max = Interlocked.Read(ref _maxLatenessTicks);
            while (ticks > max)
            {
                var seen = Interlocked.CompareExchange(ref _maxLatenessTicks, ticks, max);
                if (seen == max)
                {
                    break;
                }

                max = seen;
            }
        }
    }
}
