using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.Transport.Internal;

/// <summary>Server events. Event IDs 1-99; never reuse an ID, mark retired ones Reserved.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Listening on {EndPoint}.", EventName = "Listening")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(2, LogLevel.Warning, "Connection from {RemoteEndPoint} rejected: {MaxConnections} connections are open.", EventName = "ConnectionRejected")]
    public static partial void ConnectionRejected(ILogger logger, string? remoteEndPoint, int maxConnections);

    [LoggerMessage(3, LogLevel.Warning, "Accept on {EndPoint} failed with {SocketError}; the server keeps accepting.", EventName = "AcceptFailed")]
    public static partial void AcceptFailed(ILogger logger, string endPoint, SocketError socketError);

    [LoggerMessage(4, LogLevel.Critical, "The accept loop on {EndPoint} died; the server no longer accepts connections there.", EventName = "AcceptLoopDied")]
    public static partial void AcceptLoopDied(ILogger logger, string endPoint, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "The handler of connection {ConnectionId} threw; the connection is closed.", EventName = "HandlerFaulted")]
    public static partial void HandlerFaulted(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "The handler of connection {ConnectionId} ended because the connection broke: {Message}", EventName = "HandlerEndedByTransport")]
    public static partial void HandlerEndedByTransport(ILogger logger, string connectionId, string message);

    [LoggerMessage(7, LogLevel.Information, "Stopping: {ConnectionCount} connections open.", EventName = "Stopping")]
    public static partial void Stopping(ILogger logger, int connectionCount);

    [LoggerMessage(8, LogLevel.Information, "Stopped: {Drained} connections drained, {Aborted} aborted.", EventName = "Stopped")]
    public static partial void Stopped(ILogger logger, int drained, int aborted);

    [LoggerMessage(9, LogLevel.Warning, "{Count} handlers still had not returned after being aborted; the server stops without them.", EventName = "HandlersAbandoned")]
    public static partial void HandlersAbandoned(ILogger logger, int count);

    [LoggerMessage(10, LogLevel.Information, "Connection {ConnectionId} closed for a protocol error ({ExceptionType}): {Reason}", EventName = "ProtocolError")]
    public static partial void ProtocolError(ILogger logger, string connectionId, string exceptionType, string reason);

    [LoggerMessage(11, LogLevel.Error, "Setting up the connection from {RemoteEndPoint} failed; it is closed and the server keeps accepting.", EventName = "ConnectionSetupFailed")]
    public static partial void ConnectionSetupFailed(ILogger logger, string? remoteEndPoint, Exception exception);
}
