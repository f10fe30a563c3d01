using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Diagnostics.Internal;

/// <summary>
/// The attribute names TcpToolkit's instruments use (the OpenTelemetry registry's where one fits) and the endpoint
/// attributes, built once per listener or per connect: Kestrel's rules for <c>kestrel.*</c> endpoints.
/// </summary>
internal static class TelemetryTags
{
    public const string NetworkTransport = "network.transport";
    public const string NetworkType = "network.type";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";
    public const string NetworkIoDirection = "network.io.direction";
    public const string TlsProtocolVersion = "tls.protocol.version";

    /// <summary>TcpToolkit's own attribute: which codec a frame went through (see <c>FrameCodecs</c>).</summary>
    public const string FrameCodec = "tcptoolkit.frame.codec";

    /// <summary>TcpToolkit's own attribute: whose pinned-block pool (<c>server</c>, <c>client</c>).</summary>
    public const string MemoryPoolOwner = "tcptoolkit.memory_pool.owner";

    public static readonly KeyValuePair<string, object?> Receive = new(NetworkIoDirection, "receive");
    public static readonly KeyValuePair<string, object?> Transmit = new(NetworkIoDirection, "transmit");

    /// <summary>No attributes (an endpoint that is not known).</summary>
    public static readonly KeyValuePair<string, object?>[] None = [];

    /// <summary>
    /// The attributes of an endpoint: <c>network.transport</c> (<c>tcp</c>, <c>unix</c>), <c>network.type</c>
    /// (<c>ipv4</c>, <c>ipv6</c>; an IPv4-mapped address counts as IPv4), <c>server.address</c> and
    /// <c>server.port</c>; a host name and port for a <see cref="DnsEndPoint"/>, the path of a Unix domain socket.
    /// </summary>
    public static KeyValuePair<string, object?>[] Of(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip =>
        [
            new(NetworkTransport, "tcp"),
            new(NetworkType, ip.AddressFamily == AddressFamily.InterNetworkV6 && !ip.Address.IsIPv4MappedToIPv6 ? "ipv6" : "ipv4"),
            new(ServerAddress, (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString()),
            new(ServerPort, ip.Port),
        ],
        DnsEndPoint dns =>
        [
            new(NetworkTransport, "tcp"),
            new(ServerAddress, dns.Host),
            new(ServerPort, dns.Port),
        ],
        UnixDomainSocketEndPoint unix =>
        [
            new(NetworkTransport, "unix"),
            new(ServerAddress, unix.ToString()),
        ],
        null => None,
        _ =>
        [
            new(NetworkTransport, endPoint.AddressFamily.ToString().ToLowerInvariant()),
            new(ServerAddress, endPoint.ToString()),
        ],
    };
}
