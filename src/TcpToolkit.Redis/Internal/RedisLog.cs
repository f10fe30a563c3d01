using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace TcpToolkit.Redis.Internal;

/// <summary>
/// The Redis backplane's events, IDs 850-899 (the session room of the core package has 800-849). An outage is logged
/// once when it begins (Warning) and once when it ends (Information); StackExchange.Redis's own connection events are Debug.
/// </summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 850, EventName = "RedisUnavailable", Level = LogLevel.Warning,
        Message = "The Redis backplane is unavailable on channel {Channel}: {Reason}. Broadcasts reach this instance's members only until it is back.")]
    public static partial void Unavailable(ILogger logger, string channel, string reason);

    [LoggerMessage(EventId = 851, EventName = "RedisAvailable", Level = LogLevel.Information,
        Message = "The Redis backplane is available on channel {Channel} (after {OutageDuration} unavailable).")]
    public static partial void Available(ILogger logger, string channel, TimeSpan outageDuration);

    [LoggerMessage(EventId = 852, EventName = "RedisSubscribeFailed", Level = LogLevel.Debug,
        Message = "Subscribing to channel {Channel} failed; the next health check tries again.")]
    public static partial void SubscribeFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(EventId = 853, EventName = "RedisConnectionFailed", Level = LogLevel.Debug,
        Message = "StackExchange.Redis lost its {ConnectionType} connection to {EndPoint} ({FailureType}).")]
    public static partial void ConnectionFailed(ILogger logger, ConnectionType connectionType, System.Net.EndPoint? endPoint, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 854, EventName = "RedisConnectionRestored", Level = LogLevel.Debug,
        Message = "StackExchange.Redis restored its {ConnectionType} connection to {EndPoint}.")]
    public static partial void ConnectionRestored(ILogger logger, ConnectionType connectionType, System.Net.EndPoint? endPoint);

    [LoggerMessage(EventId = 855, EventName = "RedisReceiveFailed", Level = LogLevel.Error,
        Message = "Handling a message from channel {Channel} failed.")]
    public static partial void ReceiveFailed(ILogger logger, string channel, Exception exception);
}
