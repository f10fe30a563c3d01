using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.Datagrams.Internal;

/// <summary>UDP endpoint events. Event IDs 500-599; never reuse an ID, mark retired ones Reserved.</summary>
internal static partial class DatagramLog
{
    [LoggerMessage(500, LogLevel.Information, "UDP endpoint bound to {LocalEndPoint}.", EventName = "UdpBound")]
    public static partial void Bound(ILogger logger, IPEndPoint localEndPoint);

    [LoggerMessage(501, LogLevel.Debug, "UDP endpoint {LocalEndPoint} connected to {RemoteEndPoint}: it sends to and receives from that peer only.", EventName = "UdpConnected")]
    public static partial void Connected(ILogger logger, IPEndPoint localEndPoint, IPEndPoint remoteEndPoint);

    [LoggerMessage(502, LogLevel.Warning, "UDP endpoint {LocalEndPoint}: the receive queue was full; {Dropped} datagrams dropped since the last report, {TotalDropped} in all.", EventName = "UdpDatagramsDropped")]
    public static partial void DatagramsDropped(ILogger logger, IPEndPoint localEndPoint, long dropped, long totalDropped);

    [LoggerMessage(503, LogLevel.Debug, "UDP endpoint {LocalEndPoint}: a datagram from {RemoteEndPoint} was larger than {MaxDatagramSize} bytes and was truncated to that size.", EventName = "UdpDatagramTruncated")]
    public static partial void DatagramTruncated(ILogger logger, IPEndPoint localEndPoint, EndPoint remoteEndPoint, int maxDatagramSize);

    [LoggerMessage(504, LogLevel.Debug, "UDP endpoint {LocalEndPoint}: an earlier datagram was reported undeliverable ({SocketError}, an ICMP error such as port unreachable); the endpoint keeps going.", EventName = "UdpPeerUnreachable")]
    public static partial void PeerUnreachable(ILogger logger, IPEndPoint localEndPoint, SocketError socketError);

    [LoggerMessage(505, LogLevel.Warning, "UDP endpoint {LocalEndPoint}: receive failed with {SocketError}; the endpoint keeps receiving.", EventName = "UdpReceiveFailed")]
    public static partial void ReceiveFailed(ILogger logger, IPEndPoint localEndPoint, SocketError socketError);

    [LoggerMessage(506, LogLevel.Critical, "UDP endpoint {LocalEndPoint}: the receive loop died; the endpoint no longer receives.", EventName = "UdpReceiveLoopDied")]
    public static partial void ReceiveLoopDied(ILogger logger, IPEndPoint localEndPoint, Exception exception);

    [LoggerMessage(507, LogLevel.Information, "UDP endpoint {LocalEndPoint} closed: {Received} datagrams received, {Dropped} dropped, {Truncated} truncated, {Sent} sent.", EventName = "UdpClosed")]
    public static partial void Closed(ILogger logger, IPEndPoint localEndPoint, long received, long dropped, long truncated, long sent);

    [LoggerMessage(508, LogLevel.Debug, "UDP endpoint {LocalEndPoint} joined multicast group {Group} on interface {InterfaceIndex}.", EventName = "UdpMulticastJoined")]
    public static partial void MulticastJoined(ILogger logger, IPEndPoint localEndPoint, IPAddress group, int interfaceIndex);

    [LoggerMessage(509, LogLevel.Debug, "UDP endpoint {LocalEndPoint} left multicast group {Group} on interface {InterfaceIndex}.", EventName = "UdpMulticastLeft")]
    public static partial void MulticastLeft(ILogger logger, IPEndPoint localEndPoint, IPAddress group, int interfaceIndex);

    [LoggerMessage(510, LogLevel.Debug, "UDP endpoint {LocalEndPoint}: a send reported an earlier datagram's ICMP error ({SocketError}) instead of sending; sent again.", EventName = "UdpSendRetried")]
    public static partial void SendRetried(ILogger logger, IPEndPoint localEndPoint, SocketError socketError);
}
