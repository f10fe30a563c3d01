namespace TcpToolkit.Hosting.Internal;

/// <summary>Where a <see cref="HostedTcpServer"/> is in its life.</summary>
internal enum HostedTcpServerState
{
    NotStarted = 0,
    Starting,
    Listening,
    Stopping,
    Stopped,
    StartFailed,
}
