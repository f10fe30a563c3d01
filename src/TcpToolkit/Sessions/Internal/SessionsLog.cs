using Microsoft.Extensions.Logging;

namespace TcpToolkit.Sessions.Internal;

/// <summary>
/// Session events, IDs 800-849 (850-899 belong to the TcpToolkit.Redis package's backplane). Per-session chatter is
/// Debug; a full send queue and a backplane outage are Warning, logged once per episode rather than once per message,
/// so one slow member or a down Redis cannot flood the log.
/// </summary>
internal static partial class SessionsLog
{
    [LoggerMessage(EventId = 800, EventName = "SessionOpened", Level = LogLevel.Debug,
        Message = "Session {SessionId} opened ({RemoteEndPoint}).")]
    public static partial void SessionOpened(ILogger logger, string sessionId, System.Net.EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 801, EventName = "SessionClosed", Level = LogLevel.Debug,
        Message = "Session {SessionId} closed; {DroppedMessages} messages were dropped for it in all.")]
    public static partial void SessionClosed(ILogger logger, string sessionId, long droppedMessages);

    [LoggerMessage(EventId = 802, EventName = "SendQueueFull", Level = LogLevel.Warning,
        Message = "Session {SessionId} does not read fast enough: its send queue is full ({QueuedMessages} messages, {QueuedBytes} bytes); policy {Policy}.")]
    public static partial void SendQueueFull(ILogger logger, string sessionId, int queuedMessages, long queuedBytes, SendQueueFullPolicy policy);

    [LoggerMessage(EventId = 803, EventName = "SendQueueRecovered", Level = LogLevel.Information,
        Message = "Session {SessionId} caught up: its send queue emptied after {DroppedMessages} messages were dropped.")]
    public static partial void SendQueueRecovered(ILogger logger, string sessionId, long droppedMessages);

    [LoggerMessage(EventId = 804, EventName = "SlowSessionDisconnected", Level = LogLevel.Warning,
        Message = "Session {SessionId} disconnected: its send queue was full and the policy is Disconnect ({DroppedMessages} messages undelivered).")]
    public static partial void SlowSessionDisconnected(ILogger logger, string sessionId, int droppedMessages);

    [LoggerMessage(EventId = 805, EventName = "SessionWriteFailed", Level = LogLevel.Debug,
        Message = "Session {SessionId} could not be written to; its queued messages are dropped.")]
    public static partial void SessionWriteFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 806, EventName = "SessionDrainTimedOut", Level = LogLevel.Debug,
        Message = "Session {SessionId} did not take its last {QueuedMessages} queued messages within {DrainTimeout}; they are dropped.")]
    public static partial void SessionDrainTimedOut(ILogger logger, string sessionId, int queuedMessages, TimeSpan drainTimeout);

    // 807-809 reserved for session events.

    [LoggerMessage(EventId = 810, EventName = "BackplanePublishFailed", Level = LogLevel.Warning,
        Message = "The backplane is unreachable: broadcasts reach this instance's members only until it is back; publishing is retried every {RetryDelay}.")]
    public static partial void BackplanePublishFailed(ILogger logger, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(EventId = 811, EventName = "BackplanePublishRestored", Level = LogLevel.Information,
        Message = "The backplane is reachable again after {OutageDuration} ({FailedAttempts} failed attempts, {DroppedMessages} messages dropped from the full publish queue).")]
    public static partial void BackplanePublishRestored(ILogger logger, TimeSpan outageDuration, long failedAttempts, long droppedMessages);

    [LoggerMessage(EventId = 812, EventName = "BackplaneQueueFull", Level = LogLevel.Warning,
        Message = "The backplane publish queue is full ({QueueLimit} messages): the oldest messages are dropped and never reach other instances.")]
    public static partial void BackplaneQueueFull(ILogger logger, int queueLimit);

    [LoggerMessage(EventId = 813, EventName = "BackplaneMessageMalformed", Level = LogLevel.Warning,
        Message = "Ignored a backplane message that is not a session broadcast ({Length} bytes).")]
    public static partial void BackplaneMessageMalformed(ILogger logger, int length);

    [LoggerMessage(EventId = 814, EventName = "BackplaneMessagesMissed", Level = LogLevel.Warning,
        Message = "Missed {MissedMessages} backplane messages from instance {Origin} (expected number {Expected}, got {Received}); they were lost while the backplane was down or dropped by the publisher.")]
    public static partial void BackplaneMessagesMissed(ILogger logger, Guid origin, ulong missedMessages, ulong expected, ulong received);

    [LoggerMessage(EventId = 815, EventName = "BackplaneDeliveryFailed", Level = LogLevel.Error,
        Message = "Delivering a backplane message to this instance's members failed.")]
    public static partial void BackplaneDeliveryFailed(ILogger logger, Exception exception);
}
