using Microsoft.Extensions.Logging;

namespace TcpToolkit.Messaging.Internal;

/// <summary>Request/response messaging events. Event IDs 300-399; never reuse an ID, mark retired ones Reserved.</summary>
internal static partial class MessagingLog
{
    [LoggerMessage(300, LogLevel.Debug, "Connection {ConnectionId}: the answer to request {RequestId} came after the request timed out or was cancelled; dropped.", EventName = "LateReply")]
    public static partial void LateReply(ILogger logger, string connectionId, ulong requestId);

    [LoggerMessage(301, LogLevel.Error, "Connection {ConnectionId}: the handler of {Kind} {Method} {RequestId} threw; the connection stays open.", EventName = "HandlerFaulted")]
    public static partial void HandlerFaulted(ILogger logger, string connectionId, string kind, string method, ulong requestId, Exception exception);

    [LoggerMessage(302, LogLevel.Information, "Lost the connection to {RemoteEndPoint}: {Reason}", EventName = "ConnectionLost")]
    public static partial void ConnectionLost(ILogger logger, string remoteEndPoint, string reason);

    [LoggerMessage(303, LogLevel.Information, "Reconnect attempt {Attempt} to {RemoteEndPoint} in {Delay}.", EventName = "ReconnectScheduled")]
    public static partial void ReconnectScheduled(ILogger logger, int attempt, string remoteEndPoint, TimeSpan delay);

    // Issue #11: the client connects through any IConnectionFactory, so the reason is the factory's message.
    [LoggerMessage(304, LogLevel.Debug, "Connecting to {RemoteEndPoint} failed: {Reason}", EventName = "ConnectFailed")]
    public static partial void ConnectFailed(ILogger logger, string remoteEndPoint, string reason);

    [LoggerMessage(305, LogLevel.Information, "Connected to {RemoteEndPoint} as {ConnectionId}.", EventName = "Connected")]
    public static partial void Connected(ILogger logger, string remoteEndPoint, string connectionId);

    [LoggerMessage(306, LogLevel.Warning, "Gave up connecting to {RemoteEndPoint} after {Attempts} reconnect attempts.", EventName = "GaveUp")]
    public static partial void GaveUp(ILogger logger, string remoteEndPoint, int attempts);

    [LoggerMessage(307, LogLevel.Information, "Connection {ConnectionId}: nothing received within {Timeout} of a ping; closing it.", EventName = "HeartbeatTimedOut")]
    public static partial void HeartbeatTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    // Reserved: Event ID 308 (PushCallbackFaulted: pushes are one-way messages to the client's handler since issue #13).

    [LoggerMessage(309, LogLevel.Error, "A StateChanged handler threw; the client carries on.", EventName = "StateHandlerFaulted")]
    public static partial void StateHandlerFaulted(ILogger logger, Exception exception);

    [LoggerMessage(310, LogLevel.Error, "Connection {ConnectionId}: the reply to request {RequestId} ({Length} bytes) exceeds the requester's maximum frame length; an error was sent instead.", EventName = "ReplyTooLarge")]
    public static partial void ReplyTooLarge(ILogger logger, string connectionId, ulong requestId, int length);

    [LoggerMessage(311, LogLevel.Information, "Connection {ConnectionId}: the peer broke the message protocol: {Reason}", EventName = "ProtocolError")]
    public static partial void ProtocolError(ILogger logger, string connectionId, string reason);

    [LoggerMessage(312, LogLevel.Debug, "Connection {ConnectionId}: the message channel ended: {Reason}", EventName = "ChannelEnded")]
    public static partial void ChannelEnded(ILogger logger, string connectionId, string reason);

    [LoggerMessage(313, LogLevel.Information, "Connection {ConnectionId}: the peer is going away after accepting {Accepted} requests: {Reason}", EventName = "PeerGoingAway")]
    public static partial void PeerGoingAway(ILogger logger, string connectionId, ulong accepted, string reason);

    [LoggerMessage(314, LogLevel.Information, "Connection {ConnectionId}: going away after accepting {Accepted} requests; {NotStarted} not started are answered 'not executed'.", EventName = "GoingAway")]
    public static partial void GoingAway(ILogger logger, string connectionId, ulong accepted, int notStarted);

    [LoggerMessage(315, LogLevel.Debug, "Connection {ConnectionId}: the connection ended with {Count} received messages not started; they are not executed.", EventName = "DroppedNotStarted")]
    public static partial void DroppedNotStarted(ILogger logger, string connectionId, int count);

    [LoggerMessage(316, LogLevel.Warning, "Connection {ConnectionId}: no handler for the one-way message to '{Method}'; dropped.", EventName = "UnhandledOneWay")]
    public static partial void UnhandledOneWay(ILogger logger, string connectionId, string method);

    [LoggerMessage(317, LogLevel.Information, "Connection {ConnectionId}: the hello exchange did not complete within {Timeout}; closing it.", EventName = "HandshakeTimedOut")]
    public static partial void HandshakeTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(318, LogLevel.Warning, "Connecting to {RemoteEndPoint}: the hello exchange failed: {Reason}", EventName = "HandshakeFailed")]
    public static partial void HandshakeFailed(ILogger logger, string remoteEndPoint, string reason);

    [LoggerMessage(319, LogLevel.Error, "Connection {ConnectionId}: the session hook threw; the connection is closed.", EventName = "SessionHookFaulted")]
    public static partial void SessionHookFaulted(ILogger logger, string connectionId, Exception exception);
}
