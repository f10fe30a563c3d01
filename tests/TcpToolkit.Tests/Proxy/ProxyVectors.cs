using System.Buffers.Binary;
using System.Text;

namespace TcpToolkit.Tests.Proxy;

/// <summary>
/// Golden headers written by hand from the specification (haproxy's doc/proxy-protocol.txt, sections 2.1 and 2.2),
/// not by the library's writer, and a bitwise CRC32c that does not share code with the library's.
/// </summary>
internal static class ProxyVectors
{
    /// <summary>Section 2.2: the 12-byte version 2 signature.</summary>
    public static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Section 2.1's example line.</summary>
    public static readonly byte[] V1Tcp4 = Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");

    /// <summary>TCP6 with compressed addresses (one written with every group, one with "::").</summary>
    public static readonly byte[] V1Tcp6 = Ascii("PROXY TCP6 2001:db8:0:0:0:0:0:1 2001:DB8::2 4242 80\r\n");

    /// <summary>The longest TCP6 line: two full addresses, 104 bytes.</summary>
    public static readonly byte[] V1Tcp6Longest = Ascii(
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");

    /// <summary>UNKNOWN, short form: 15 bytes.</summary>
    public static readonly byte[] V1Unknown = Ascii("PROXY UNKNOWN\r\n");

    /// <summary>UNKNOWN, worst case: 107 bytes, whose rest of line the receiver ignores.</summary>
    public static readonly byte[] V1UnknownLongest = Ascii(
        "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");

    /// <summary>PROXY, TCP over IPv4 (0x11), 12 address bytes: 192.168.0.1:56324 -> 192.168.0.11:443.</summary>
    public static readonly byte[] V2Tcp4 = V2(0x21, 0x11, [0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0x0B, 0xDC, 0x04, 0x01, 0xBB]);

    /// <summary>PROXY, TCP over IPv6 (0x21), 36 address bytes: [2001:db8::1]:4242 -> [2001:db8::2]:80.</summary>
    public static readonly byte[] V2Tcp6 = V2(
        0x21,
        0x21,
        [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01],
        [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02],
        [0x10, 0x92, 0x00, 0x50]);

    /// <summary>PROXY, UDP over IPv4 (0x12): 10.0.0.1:53 -> 10.0.0.2:5353.</summary>
    public static readonly byte[] V2Udp4 = V2(0x21, 0x12, [10, 0, 0, 1, 10, 0, 0, 2, 0x00, 0x35, 0x14, 0xE9]);

    /// <summary>PROXY, UNIX stream (0x31), two 108-byte sun_path fields.</summary>
    public static readonly byte[] V2Unix = V2(0x21, 0x31, UnixPath("/run/client.sock"), UnixPath("/run/haproxy/backend.sock"));

    /// <summary>PROXY, UNIX stream: an unnamed client (all zeros) and an abstract-namespace server ("\0name").</summary>
    public static readonly byte[] V2UnixUnnamedAndAbstract = V2(0x21, 0x31, new byte[108], UnixPath("\0backend"));

    /// <summary>LOCAL, UNSPEC, no address block: a health check.</summary>
    public static readonly byte[] V2Local = V2(0x20, 0x00);

    /// <summary>LOCAL with an IPv4 block that the receiver must skip and ignore.</summary>
    public static readonly byte[] V2LocalWithAddresses = V2(0x20, 0x11, [127, 0, 0, 1, 127, 0, 0, 1, 0x30, 0x39, 0x00, 0x50]);

    /// <summary>PROXY with an unspecified family (0x00): the receiver keeps its socket's addresses; a TLV follows.</summary>
    public static readonly byte[] V2ProxyUnspecified = V2(0x21, 0x00, Tlv(0x04, 0, 0));

    /// <summary>
    /// PROXY over IPv4 with the registered TLVs: ALPN, authority, unique id, SSL with all five sub-TLVs, netns, a no-op
    /// and an experimental type.
    /// </summary>
    public static readonly byte[] V2WithTlvs = V2(
        0x21,
        0x11,
        [203, 0, 113, 7, 198, 51, 100, 1, 0xC3, 0x50, 0x01, 0xBB],
        Tlv(0x01, "h2"),
        Tlv(0x02, "example.com"),
        Tlv(0x05, 0xDE, 0xAD, 0xBE, 0xEF),
        Tlv(
            0x20,
            [
                0x07, // PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS
                0x00, 0x00, 0x00, 0x00, // verify: 0 = the client certificate was verified
                .. Tlv(0x21, "TLSv1.3"),
                .. Tlv(0x22, "client.example"),
                .. Tlv(0x23, "ECDHE-RSA-AES128-GCM-SHA256"),
                .. Tlv(0x24, "RSA-SHA256"),
                .. Tlv(0x25, "RSA2048"),
            ]),
        Tlv(0x30, "blue"),
        Tlv(0x04, 0, 0, 0),
        Tlv(0xF0, 1, 2, 3));

    /// <summary>PROXY over IPv4 with the cloud providers' TLVs: AWS VPC endpoint id, Azure LINKID (LE), GCP PSC id (BE).</summary>
    public static readonly byte[] V2Cloud = V2(
        0x21,
        0x11,
        [10, 1, 2, 3, 10, 4, 5, 6, 0x04, 0xD2, 0x00, 0x50],
        Tlv(0xEA, [0x01, .. Ascii("vpce-0123456789abcdef0")]),
        Tlv(0xEE, 0x01, 0x78, 0x56, 0x34, 0x12),
        Tlv(0xE0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08));

    /// <summary>PROXY over IPv4 with a CRC32c TLV that matches (computed by <see cref="ReferenceCrc32C"/>).</summary>
    public static readonly byte[] V2WithChecksum = WithChecksum(V2(
        0x21,
        0x11,
        [192, 0, 2, 10, 192, 0, 2, 20, 0x9C, 0x40, 0x0F, 0xA0],
        Tlv(0x02, "checked.example"),
        Tlv(0x03, 0, 0, 0, 0)));

    /// <summary>
    /// A header sent by an AWS Network Load Balancer (PrivateLink), with a CRC32c, the VPC endpoint id and no-op
    /// padding, as published in aws/elastic-load-balancing-tools (proprot, Compatibility_AwsNetworkLoadBalancerTest):
    /// an independent implementation's checksum. 172.31.7.113:51442 -> 172.31.10.31:80.
    /// </summary>
    public static readonly byte[] V2AwsNetworkLoadBalancer =
    [
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
        0x21, 0x11, 0x00, 0x54,
        0xAC, 0x1F, 0x07, 0x71, 0xAC, 0x1F, 0x0A, 0x1F, 0xC8, 0xF2, 0x00, 0x50,
        0x03, 0x00, 0x04, 0xE8, 0xD6, 0x89, 0x2D,
        0xEA, 0x00, 0x17, 0x01, .. Ascii("vpce-08d2bf15fac5001c9"),
        0x04, 0x00, 0x24, .. new byte[36],
    ];

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>A version 2 header: signature, version and command, family and transport, big-endian length, block.</summary>
    public static byte[] V2(byte versionCommand, byte familyTransport, params byte[][] block)
    {
        var body = block.SelectMany(b => b).ToArray();
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, checked((ushort)body.Length));
        return [.. Signature, versionCommand, familyTransport, .. length, .. body];
    }

    public static byte[] Tlv(byte type, params byte[] value)
    {
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, checked((ushort)value.Length));
        return [type, .. length, .. value];
    }

    public static byte[] Tlv(byte type, string value) => Tlv(type, Ascii(value));

    /// <summary>A 108-byte sun_path: the path's bytes, zero-padded.</summary>
    public static byte[] UnixPath(string path)
    {
        var field = new byte[108];
        Encoding.UTF8.GetBytes(path).CopyTo(field, 0);
        return field;
    }

    /// <summary>Fills the last 4 bytes (a CRC32c TLV's zeroed value) with the header's checksum, big-endian.</summary>
    public static byte[] WithChecksum(byte[] header)
    {
        var copy = header.ToArray();
        copy.AsSpan(copy.Length - 4).Clear();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(copy.Length - 4), ReferenceCrc32C(copy));
        return copy;
    }

    /// <summary>CRC32c one bit at a time (reflected polynomial 0x82F63B78, RFC 4960 appendix B).</summary>
    public static uint ReferenceCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>Every golden vector by name, for theories.</summary>
    public static IReadOnlyDictionary<string, byte[]> All { get; } = new Dictionary<string, byte[]>
    {
        [nameof(V1Tcp4)] = V1Tcp4,
        [nameof(V1Tcp6)] = V1Tcp6,
        [nameof(V1Tcp6Longest)] = V1Tcp6Longest,
        [nameof(V1Unknown)] = V1Unknown,
        [nameof(V1UnknownLongest)] = V1UnknownLongest,
        [nameof(V2Tcp4)] = V2Tcp4,
        [nameof(V2Tcp6)] = V2Tcp6,
        [nameof(V2Udp4)] = V2Udp4,
        [nameof(V2Unix)] = V2Unix,
        [nameof(V2UnixUnnamedAndAbstract)] = V2UnixUnnamedAndAbstract,
        [nameof(V2Local)] = V2Local,
        [nameof(V2LocalWithAddresses)] = V2LocalWithAddresses,
        [nameof(V2ProxyUnspecified)] = V2ProxyUnspecified,
        [nameof(V2WithTlvs)] = V2WithTlvs,
        [nameof(V2Cloud)] = V2Cloud,
        [nameof(V2WithChecksum)] = V2WithChecksum,
        [nameof(V2AwsNetworkLoadBalancer)] = V2AwsNetworkLoadBalancer,
    };
}
