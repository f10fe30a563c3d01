using Microsoft.Extensions.Logging;

namespace TcpToolkit.Messaging.Internal;

/// <summary>Request/response messaging events. Event IDs 300-399; never reuse an ID, mark retired ones Reserved.</summary>
internal static partial class MessagingLog
{
    [LoggerMessage(300, LogLevel.Debug, "Connection {ConnectionId}: reply to request {RequestId} came after the request timed out or was cancelled; dropped.", EventName = "LateReply")]
    public static partial void LateReply(ILogger logger, string connectionId, uint requestId);

    [LoggerMessage(301, LogLevel.Error, "Connection {ConnectionId}: the handler of {Kind} {RequestId} threw; the connection stays open.", EventName = "HandlerFaulted")]
    public static partial void HandlerFaulted(ILogger logger, string connectionId, string kind, uint requestId, Exception exception);

    [LoggerMessage(302, LogLevel.Information, "Lost the connection to {RemoteEndPoint}: {Reason}", EventName = "ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string remoteEndPoint, string reason);

    [LoggerMessage(303, LogLevel.Information, "Reconnect attempt {Attempt} to {RemoteEndPoint} in {Delay}.", EventName = "ReconnectScheduled")]
    public static partial void ReconnectScheduled(ILogger logger, int attempt, string remoteEndPoint, TimeSpan delay);

    // Issue #11: the client connects through any IConnectionFactory, so the reason is the factory's message (a
    // TcpClient's names the socket error), no longer a SocketError.
    [LoggerMessage(304, LogLevel.Debug, "Connecting to {RemoteEndPoint} failed: {Reason}", EventName = "ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string remoteEndPoint, string reason);

    [LoggerMessage(305, LogLevel.Information, "Connected to {RemoteEndPoint} as {ConnectionId}.", EventName = "Connected")]
    public static partial void Connected(ILogger logger, string remoteEndPoint, string connectionId);

    [LoggerMessage(306, LogLevel.Warning, "Gave up connecting to {RemoteEndPoint} after {Attempts} reconnect attempts.", EventName = "GaveUp")]
    public static partial void GaveUp(ILogger logger, string remoteEndPoint, int attempts);

    [LoggerMessage(307, LogLevel.Information, "Connection {ConnectionId}: nothing received within {Timeout} of a ping; closing it.", EventName = "HeartbeatTimedOut")]
    public static partial void HeartbeatTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(308, LogLevel.Error, "Connection {ConnectionId}: the push callback threw; the push was dropped.", EventName = "PushCallbackFaulted")]
    public static partial void PushCallbackFaulted(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(309, LogLevel.Error, "A StateChanged handler threw; the client carries on.", EventName = "StateHandlerFaulted")]
    public static partial void StateHandlerFaulted(ILogger logger, Exception exception);

    [LoggerMessage(310, LogLevel.Error, "Connection {ConnectionId}: the reply to request {RequestId} ({Length} bytes) exceeds the maximum frame length; an error reply was sent instead.", EventName = "ReplyTooLarge")]
    public static partial void ReplyTooLarge(ILogger logger, string connectionId, uint requestId, int length);
}
