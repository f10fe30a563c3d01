
namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>Round-trip figures of the scheduling tests: in the test output and in the figures file CI prints.</summary>
internal static class SchedulingFigures
{
    /// <summary>The bound issue #11 sets: a blocked or busy connection delays no other round trip by more than this.</summary>
    public static readonly TimeSpan MaxRoundTrip = TimeSpan.FromMilliseconds(100);

    public static void Report(string scenario, string engine, Pingers pingers, string? thread = null)
        => ProcessFigures.Report(
            $"{scenario} [{engine}]: max round trip {pingers.MaxRoundTrip.TotalMilliseconds:F1} ms over {pingers.RoundTrips} round trips "
            + $"(fewest per pinger {pingers.FewestRoundTrips}; the machine's own wake-up lateness {pingers.MachineLateness.TotalMilliseconds:F1} ms)" + (thread is null ? string.Empty : $"; blocking code ran on '{thread}'"));

    /// <summary>Checks the thread the blocking code ran on: with the epoll engine it must be an I/O loop, or the test proves nothing.</summary>
    public static void ShouldBeLoopThreadFor(string engine, string thread)
    {
        if (engine == "epoll")
        {
            thread.Should().StartWith("TcpToolkit epoll", "the blocking code must run on an I/O loop for the test to mean anything");
        }
    }
}
