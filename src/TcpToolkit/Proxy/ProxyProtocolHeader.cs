using System.Buffers;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Proxy.Internal;

namespace TcpToolkit.Proxy;

/// <summary>
/// The PROXY protocol header a connection started with: what the proxy in front (HAProxy, an AWS, Azure or Google
/// Cloud load balancer, nginx, Envoy) said about the original connection. The middleware
/// (<see cref="ProxyProtocolExtensions.UseProxyProtocol"/>) sets it as a feature: read it with
/// <c>connection.GetFeature&lt;ProxyProtocolHeader&gt;()</c>. It also writes headers (<see cref="WriteV1"/>,
/// <see cref="WriteV2"/>) for a program that connects through something that expects one.
/// </summary>
/// <remarks>
/// When the header carries addresses, the middleware has already set <see cref="Connection.RemoteEndPoint"/> to
/// <see cref="SourceEndPoint"/> and <see cref="Connection.LocalEndPoint"/> to <see cref="DestinationEndPoint"/>; the
/// proxy's own address is kept in <see cref="ProxyEndPoint"/>. A version 2 <c>LOCAL</c> header (a health check by the
/// proxy itself), a version 1 <c>UNKNOWN</c> line, or an unspecified family carry none, and the connection keeps its
/// socket addresses. The header owns its TLVs (copied out of the connection's buffers): keep it as long as you like.
/// </remarks>
public sealed class ProxyProtocolHeader
{
    private readonly ProxyTlvSet _tlvs;

    internal ProxyProtocolHeader(
        int version,
        bool isLocal,
        AddressFamily addressFamily,
        SocketType socketType,
        EndPoint? sourceEndPoint,
        EndPoint? destinationEndPoint,
        int length,
        IReadOnlyList<ProxyProtocolTlv> tlvs,
        ProxyTlvSet decoded)
    {
        Version = version;
        IsLocal = isLocal;
        AddressFamily = addressFamily;
        SocketType = socketType;
        SourceEndPoint = sourceEndPoint;
        DestinationEndPoint = destinationEndPoint;
        Length = length;
        Tlvs = tlvs;
        _tlvs = decoded;
    }

    /// <summary>Gets the protocol version: 1 (the text line) or 2 (binary).</summary>
    public int Version { get; }

    /// <summary>
    /// Gets a value indicating whether the command is <c>LOCAL</c> (version 2): the proxy opened the connection for
    /// itself (a health check), not on behalf of a client; its addresses, if any, are ignored.
    /// </summary>
    public bool IsLocal { get; }

    /// <summary>
    /// Gets the original connection's family as announced: <see cref="AddressFamily.InterNetwork"/>
    /// (<c>TCP4</c>, <c>AF_INET</c>), <see cref="AddressFamily.InterNetworkV6"/> (<c>TCP6</c>, <c>AF_INET6</c>),
    /// <see cref="AddressFamily.Unix"/> (<c>AF_UNIX</c>) or <see cref="AddressFamily.Unspecified"/> (<c>UNKNOWN</c>,
    /// <c>AF_UNSPEC</c>).
    /// </summary>
    public AddressFamily AddressFamily { get; }

    /// <summary>
    /// Gets the original connection's transport as announced: <see cref="SocketType.Stream"/> (TCP, and every version
    /// 1 line but <c>UNKNOWN</c>), <see cref="SocketType.Dgram"/> (UDP) or <see cref="SocketType.Unknown"/> (unspecified).
    /// </summary>
    public SocketType SocketType { get; }

    /// <summary>
    /// Gets the original client (<see cref="IPEndPoint"/> or <see cref="UnixDomainSocketEndPoint"/>), or
    /// <see langword="null"/> when the header carries no addresses to use (<c>LOCAL</c>, <c>UNKNOWN</c>, an unspecified
    /// family or transport).
    /// </summary>
    public EndPoint? SourceEndPoint { get; }

    /// <summary>Gets the address the original client connected to, or <see langword="null"/> as for <see cref="SourceEndPoint"/>.</summary>
    public EndPoint? DestinationEndPoint { get; }

    /// <summary>Gets the proxy's own address: the connection's socket peer, before the middleware replaced it.</summary>
    public EndPoint? ProxyEndPoint { get; internal set; }

    /// <summary>Gets the header's length on the wire, in bytes (the application's bytes start right after it).</summary>
    public int Length { get; }

    /// <summary>Gets every TLV of a version 2 header, in wire order, registered or not (empty for version 1).</summary>
    public IReadOnlyList<ProxyProtocolTlv> Tlvs { get; }

    /// <summary>Gets the application protocol (TLV 0x01, the TLS ALPN of the client's connection) as UTF-8 text, or <see langword="null"/>.</summary>
    public string? Alpn => _tlvs.Alpn;

    /// <summary>Gets the host name the client asked for (TLV 0x02, the TLS SNI), or <see langword="null"/>.</summary>
    public string? Authority => _tlvs.Authority;

    /// <summary>Gets the proxy's unique id of the connection (TLV 0x05, up to 128 opaque bytes), or empty.</summary>
    public ReadOnlyMemory<byte> UniqueId => _tlvs.UniqueId;

    /// <summary>
    /// Gets the client flags of the SSL TLV (0x20): 0x01 the client connected over TLS, 0x02 it sent a certificate on
    /// this connection, 0x04 on this TLS session; <see langword="null"/> without an SSL TLV.
    /// </summary>
    public byte? SslClientFlags => _tlvs.SslClientFlags;

    /// <summary>Gets the SSL TLV's verify result: 0 when the client's certificate was verified; <see langword="null"/> without an SSL TLV.</summary>
    public uint? SslVerify => _tlvs.SslVerify;

    /// <summary>Gets the TLS version of the client's connection (SSL sub-TLV 0x21, e.g. <c>TLSv1.3</c>), or <see langword="null"/>.</summary>
    public string? SslVersion => _tlvs.SslVersion;

    /// <summary>Gets the Common Name of the client certificate's subject (SSL sub-TLV 0x22), or <see langword="null"/>.</summary>
    public string? SslCommonName => _tlvs.SslCommonName;

    /// <summary>Gets the cipher of the client's connection (SSL sub-TLV 0x23, e.g. <c>ECDHE-RSA-AES128-GCM-SHA256</c>), or <see langword="null"/>.</summary>
    public string? SslCipher => _tlvs.SslCipher;

    /// <summary>Gets the algorithm that signed the proxy's certificate (SSL sub-TLV 0x24, e.g. <c>RSA-SHA256</c>), or <see langword="null"/>.</summary>
    public string? SslSignatureAlgorithm => _tlvs.SslSignatureAlgorithm;

    /// <summary>Gets the algorithm of the proxy certificate's key (SSL sub-TLV 0x25, e.g. <c>RSA2048</c>), or <see langword="null"/>.</summary>
    public string? SslKeyAlgorithm => _tlvs.SslKeyAlgorithm;

    /// <summary>Gets the network namespace the proxy accepted the connection in (TLV 0x30), or <see langword="null"/>.</summary>
    public string? NetworkNamespace => _tlvs.NetworkNamespace;

    /// <summary>Gets the AWS VPC endpoint id the client came through (TLV 0xEA, subtype 0x01; AWS PrivateLink), or <see langword="null"/>.</summary>
    public string? AwsVpcEndpointId => _tlvs.AwsVpcEndpointId;

    /// <summary>Gets the Azure Private Link service's LINKID (TLV 0xEE, subtype 0x01, a little-endian 32-bit number), or <see langword="null"/>.</summary>
    public uint? AzurePrivateLinkId => _tlvs.AzurePrivateLinkId;

    /// <summary>Gets the Google Cloud Private Service Connect connection id (TLV 0xE0, a big-endian 64-bit number), or <see langword="null"/>.</summary>
    public ulong? GcpPscConnectionId => _tlvs.GcpPscConnectionId;

    /// <summary>Finds the first TLV of a type, registered or not.</summary>
    /// <param name="type">The type byte.</param>
    /// <param name="tlv">The TLV, when there is one.</param>
    /// <returns><see langword="true"/> when the header has a TLV of <paramref name="type"/>.</returns>
    public bool TryGetTlv(byte type, out ProxyProtocolTlv tlv)
    {
        foreach (var candidate in Tlvs)
        {
            if (candidate.Type == type)
            {
                tlv = candidate;
                return true;
            }
        }

        tlv = default;
        return false;
    }

    /// <summary>
    /// Writes a version 1 header (one line of text): <c>PROXY TCP4|TCP6 source destination sport dport\r\n</c>, or
    /// <c>PROXY UNKNOWN\r\n</c> when both endpoints are <see langword="null"/>.
    /// </summary>
    /// <param name="output">Where the bytes go; flush it yourself, before any other byte of the connection.</param>
    /// <param name="source">The original client: an <see cref="IPEndPoint"/>, or <see langword="null"/> with <paramref name="destination"/> for <c>UNKNOWN</c>.</param>
    /// <param name="destination">The address the client connected to, of the same family as <paramref name="source"/>.</param>
    /// <returns>The number of bytes written (at most 107).</returns>
    /// <exception cref="ArgumentException">Only one endpoint is given, an endpoint is not an <see cref="IPEndPoint"/>, or their families differ.</exception>
    public static int WriteV1(IBufferWriter<byte> output, EndPoint? source, EndPoint? destination)
    {
        ArgumentNullException.ThrowIfNull(output);
        return ProxyHeaderWriter.WriteV1(output, source, destination);
    }

    /// <summary>
    /// Writes a version 2 header (binary): command <c>PROXY</c> over TCP with the two endpoints (both
    /// <see cref="IPEndPoint"/> of one family, or both <see cref="UnixDomainSocketEndPoint"/>), or command
    /// <c>LOCAL</c> when both are <see langword="null"/>; then <paramref name="tlvs"/>, then, if asked, a CRC32c TLV
    /// (0x03) computed over the whole header.
    /// </summary>
    /// <param name="output">Where the bytes go; flush it yourself, before any other byte of the connection.</param>
    /// <param name="source">The original client, or <see langword="null"/> with <paramref name="destination"/> for <c>LOCAL</c>.</param>
    /// <param name="destination">The address the client connected to.</param>
    /// <param name="tlvs">TLVs to append (not 0x03: ask for the checksum instead), or <see langword="null"/>.</param>
    /// <param name="includeChecksum">Whether to append a CRC32c TLV that the receiver verifies.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">
    /// Only one endpoint is given, the endpoints are of different or unsupported kinds, a TLV has type 0x03, or the
    /// header would exceed 65,551 bytes.
    /// </exception>
    public static int WriteV2(
        IBufferWriter<byte> output,
        EndPoint? source,
        EndPoint? destination,
        IReadOnlyList<ProxyProtocolTlv>? tlvs = null,
        bool includeChecksum = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        return ProxyHeaderWriter.WriteV2(output, source, destination, tlvs, includeChecksum);
    }

    /// <inheritdoc />
    public override string ToString() => IsLocal
        ? $"PROXY v{Version} LOCAL"
        : $"PROXY v{Version} {AddressFamily} {SourceEndPoint?.ToString() ?? "-"} -> {DestinationEndPoint?.ToString() ?? "-"}";
}
