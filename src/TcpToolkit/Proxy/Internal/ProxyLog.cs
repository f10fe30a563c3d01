using Microsoft.Extensions.Logging;

namespace TcpToolkit.Proxy.Internal;

/// <summary>PROXY protocol middleware events. Event IDs 600-699; never reuse an ID, mark retired ones Reserved.</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(600, LogLevel.Debug, "Connection {ConnectionId}: PROXY protocol v{Version} header from proxy {ProxyEndPoint}: client {SourceEndPoint}, destination {DestinationEndPoint}.", EventName = "ProxyHeaderAccepted")]
    public static partial void HeaderAccepted(ILogger logger, string connectionId, int version, string? proxyEndPoint, string? sourceEndPoint, string? destinationEndPoint);

    [LoggerMessage(601, LogLevel.Debug, "Connection {ConnectionId}: PROXY protocol v{Version} header from proxy {ProxyEndPoint} without client addresses ({Kind}); the connection keeps its socket addresses.", EventName = "ProxyHeaderWithoutAddresses")]
    public static partial void HeaderWithoutAddresses(ILogger logger, string connectionId, int version, string? proxyEndPoint, string kind);

    [LoggerMessage(602, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} refused: {Error}. {Reason}", EventName = "ProxyHeaderRejected")]
    public static partial void Rejected(ILogger logger, string connectionId, string? remoteEndPoint, ProxyProtocolError error, string reason);
}
