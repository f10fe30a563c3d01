using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>Private epoll loops for tests that must know which loop a connection is on (see EngineHooks).</summary>
internal static class SchedulingLoops
{
    private static readonly Lazy<EpollLoopGroup> s_single = new(
        () => EpollLoopGroup.Create(1, "TcpToolkit epoll test", BusyPollMode.Adaptive)
            ?? throw new InvalidOperationException("The epoll engine cannot run here."));

    /// <summary>Gets one loop shared by the tests that need every connection on the same loop.</summary>
    public static EpollLoopGroup Single => s_single.Value;
}
