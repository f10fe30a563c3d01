using Microsoft.Extensions.Logging;

namespace TcpToolkit.Hosting.Internal;

/// <summary>Events of hosted servers. Event IDs 900-949; never reuse an ID, mark retired ones Reserved.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(900, LogLevel.Information, "TCP server {Name} is listening on {EndPoints}.", EventName = "HostedServerStarted")]
    public static partial void Started(ILogger logger, string name, string endPoints);

    [LoggerMessage(901, LogLevel.Warning, "The stop of TCP server {Name} was cancelled (the host's shutdown timeout): its remaining connections are aborted.", EventName = "HostedServerShutdownTimeout")]
    public static partial void ShutdownTimeoutReached(ILogger logger, string name);

    [LoggerMessage(902, LogLevel.Warning, "TCP server {Name}: handlers still ran {CloseTimeout} after their connections were aborted; the host stops without waiting for them.", EventName = "HostedServerStopAbandoned")]
    public static partial void StopAbandoned(ILogger logger, string name, TimeSpan closeTimeout);
}
