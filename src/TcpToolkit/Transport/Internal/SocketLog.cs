using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;

namespace TcpToolkit.Transport.Internal;

/// <summary>Transport and connection events. Event IDs 100-199; never reuse an ID, mark retired ones Reserved.</summary>
internal static partial class SocketLog
{
    [LoggerMessage(100, LogLevel.Debug, "Connection {ConnectionId} opened: {LocalEndPoint} <- {RemoteEndPoint}.", EventName = "ConnectionOpened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string? localEndPoint, string? remoteEndPoint);

    [LoggerMessage(101, LogLevel.Debug, "Connection {ConnectionId} closed: {CloseReason}.", EventName = "ConnectionClosed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, CloseReason closeReason);

    [LoggerMessage(102, LogLevel.Debug, "Connection {ConnectionId} received FIN from the peer.", EventName = "ReceivedFin")]
    public static partial void ReceivedFin(ILogger logger, string connectionId);

    [LoggerMessage(103, LogLevel.Debug, "Connection {ConnectionId} sent FIN.", EventName = "SentFin")]
    public static partial void SentFin(ILogger logger, string connectionId);

    [LoggerMessage(104, LogLevel.Debug, "Connection {ConnectionId}: receive failed.", EventName = "ReceiveFailed")]
    public static partial void ReceiveFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(105, LogLevel.Debug, "Connection {ConnectionId}: send failed.", EventName = "SendFailed")]
    public static partial void SendFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(106, LogLevel.Debug, "Connection {ConnectionId} aborted: {Reason}", EventName = "ConnectionAborted")]
    public static partial void ConnectionAborted(ILogger logger, string connectionId, string reason);

    [LoggerMessage(107, LogLevel.Debug, "Connection {ConnectionId}: shutdown(send) failed with {SocketError}.", EventName = "ShutdownFailed")]
    public static partial void ShutdownFailed(ILogger logger, string connectionId, SocketError socketError);

    [LoggerMessage(108, LogLevel.Debug, "Connection {ConnectionId}: pending output did not drain within {CloseTimeout}; aborting.", EventName = "CloseTimedOut")]
    public static partial void CloseTimedOut(ILogger logger, string connectionId, TimeSpan closeTimeout);

    [LoggerMessage(109, LogLevel.Information, "Connection {ConnectionId} closed: {CloseReason} after {Timeout}.", EventName = "ConnectionTimedOut")]
    public static partial void TimedOut(ILogger logger, string connectionId, CloseReason closeReason, TimeSpan timeout);

    [LoggerMessage(110, LogLevel.Information, "Connection {ConnectionId} closed: the peer sent at {BytesPerSecond:F1} B/s, below the minimum of {MinimumBytesPerSecond} B/s.", EventName = "DataRateTooLow")]
    public static partial void DataRateTooLow(ILogger logger, string connectionId, double bytesPerSecond, double minimumBytesPerSecond);
}
