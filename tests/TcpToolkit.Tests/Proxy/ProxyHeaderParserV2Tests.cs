using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Proxy;
using TcpToolkit.Proxy.Internal;
using static TcpToolkit.Tests.Proxy.ParseHarness;
using static TcpToolkit.Tests.Proxy.ProxyVectors;

namespace TcpToolkit.Tests.Proxy;

/// <summary>Version 2 (section 2.2): addresses of every family, the commands, TLVs, the checksum, and every way to break them.</summary>
public sealed class ProxyHeaderParserV2Tests
{
    private static readonly byte[] Ipv4Block = [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2];

    [Fact]
    public void TryParse_ProxyTcp4_AddressesAndPortsInNetworkOrder()
    {
        var header = Parse(V2Tcp4).Header!;

        header.Version.Should().Be(2);
        header.IsLocal.Should().BeFalse();
        header.AddressFamily.Should().Be(AddressFamily.InterNetwork);
        header.SocketType.Should().Be(SocketType.Stream);
        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("192.168.0.1"), 56324));
        header.DestinationEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("192.168.0.11"), 443));
        header.Length.Should().Be(28);
    }

    [Fact]
    public void TryParse_ProxyTcp6_AddressesAndPorts()
    {
        var header = Parse(V2Tcp6).Header!;

        header.AddressFamily.Should().Be(AddressFamily.InterNetworkV6);
        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 4242));
        header.DestinationEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("2001:db8::2"), 80));
        header.Length.Should().Be(52);
    }

    [Fact]
    public void TryParse_ProxyUdp4_DatagramTransportWithAddresses()
    {
        var header = Parse(V2Udp4).Header!;

        header.SocketType.Should().Be(SocketType.Dgram);
        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 53));
        header.DestinationEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5353));
    }

    [Fact]
    public void TryParse_ProxyUnix_PathsBecomeUnixDomainSocketEndPoints()
    {
        var header = Parse(V2Unix).Header!;

        header.AddressFamily.Should().Be(AddressFamily.Unix);
        header.Length.Should().Be(16 + 216);
        header.SourceEndPoint.Should().BeOfType<UnixDomainSocketEndPoint>().Which.ToString().Should().Be("/run/client.sock");
        header.DestinationEndPoint.Should().Be(new UnixDomainSocketEndPoint("/run/haproxy/backend.sock"));
    }

    [Fact]
    public void TryParse_ProxyUnixUnnamedAndAbstract_UnnamedIsEmptyAndAbstractKeepsItsNul()
    {
        var header = Parse(V2UnixUnnamedAndAbstract).Header!;

        header.SourceEndPoint.Should().BeOfType<UnixDomainSocketEndPoint>().Which.ToString().Should().BeEmpty("an unnamed socket, as .NET reports such a peer");
        header.DestinationEndPoint.Should().Be(new UnixDomainSocketEndPoint("\0backend"));
    }

    [Fact]
    public void TryParse_UnixPathFillingAll108Bytes_KeptWhole()
    {
        var path = new string('p', 108);

        var header = Parse(V2(0x21, 0x31, UnixPath(path), UnixPath("/s"))).Header!;

        header.SourceEndPoint!.ToString().Should().Be(path);
    }

    [Fact]
    public void TryParse_Local_NoAddressesAndAHealthCheck()
    {
        var header = Parse(V2Local).Header!;

        header.IsLocal.Should().BeTrue();
        header.AddressFamily.Should().Be(AddressFamily.Unspecified);
        header.SocketType.Should().Be(SocketType.Unknown);
        header.SourceEndPoint.Should().BeNull();
        header.DestinationEndPoint.Should().BeNull();
        header.Length.Should().Be(16);
    }

    [Fact]
    public void TryParse_LocalWithAddresses_BlockSkippedAndAddressesIgnored()
    {
        var outcome = Parse([.. V2LocalWithAddresses, 0xAA]);

        outcome.Header!.IsLocal.Should().BeTrue();
        outcome.Header.SourceEndPoint.Should().BeNull("the receiver must use the real connection endpoints for LOCAL");
        outcome.Consumed.Should().Be(28, "the length field says how much to skip; LOCAL does not mean zero");
    }

    [Fact]
    public void TryParse_LocalWithAFamilyButNoAddresses_Accepted()
    {
        var header = Parse(V2(0x20, 0x11)).Header!;

        header.IsLocal.Should().BeTrue();
        header.SourceEndPoint.Should().BeNull();
    }

    [Fact]
    public void TryParse_ProxyWithUnspecifiedFamily_NoAddressesButTheTlvs()
    {
        var header = Parse(V2ProxyUnspecified).Header!;

        header.IsLocal.Should().BeFalse();
        header.AddressFamily.Should().Be(AddressFamily.Unspecified);
        header.SourceEndPoint.Should().BeNull();
        header.Tlvs.Should().ContainSingle().Which.Type.Should().Be(0x04);
    }

    [Fact]
    public void TryParse_ProxyInetWithUnspecifiedTransport_AddressesIgnoredAndTlvsAfterThem()
    {
        var header = Parse(V2(0x21, 0x10, Ipv4Block, Tlv(0x02, "a"))).Header!;

        header.SocketType.Should().Be(SocketType.Unknown);
        header.SourceEndPoint.Should().BeNull("the receiver should ignore address information with an unspecified transport");
        header.Authority.Should().Be("a");
    }

    [Fact]
    public void TryParse_RegisteredTlvs_TypedAndRaw()
    {
        var header = Parse(V2WithTlvs).Header!;

        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 50000));
        header.Alpn.Should().Be("h2");
        header.Authority.Should().Be("example.com");
        header.UniqueId.ToArray().Should().Equal(0xDE, 0xAD, 0xBE, 0xEF);
        header.SslClientFlags.Should().Be(0x07);
        header.SslVerify.Should().Be(0u);
        header.SslVersion.Should().Be("TLSv1.3");
        header.SslCommonName.Should().Be("client.example");
        header.SslCipher.Should().Be("ECDHE-RSA-AES128-GCM-SHA256");
        header.SslSignatureAlgorithm.Should().Be("RSA-SHA256");
        header.SslKeyAlgorithm.Should().Be("RSA2048");
        header.NetworkNamespace.Should().Be("blue");
        header.Tlvs.Select(t => t.Type).Should().Equal(0x01, 0x02, 0x05, 0x20, 0x30, 0x04, 0xF0);
        header.TryGetTlv(0xF0, out var experimental).Should().BeTrue();
        experimental.Value.ToArray().Should().Equal(1, 2, 3);
        header.TryGetTlv(0xF1, out _).Should().BeFalse();
        header.AwsVpcEndpointId.Should().BeNull();
    }

    [Fact]
    public void TryParse_CloudTlvs_AwsAzureAndGcpIds()
    {
        var header = Parse(V2Cloud).Header!;

        header.AwsVpcEndpointId.Should().Be("vpce-0123456789abcdef0");
        header.AzurePrivateLinkId.Should().Be(0x12345678u, "Azure sends the LINKID little-endian");
        header.GcpPscConnectionId.Should().Be(0x0102030405060708ul, "Google Cloud sends the PSC connection id big-endian");
        header.SslClientFlags.Should().BeNull();
    }

    [Fact]
    public void TryParse_CustomRangeTlvsOfAnotherShape_KeptRawButNotDecoded()
    {
        var header = Parse(V2(0x21, 0x11, Ipv4Block, Tlv(0xEA, 0x02, 0x41), Tlv(0xEE, 0x01, 0x01), Tlv(0xE0, 1, 2, 3))).Header!;

        header.AwsVpcEndpointId.Should().BeNull("subtype 0x02 is not the endpoint id");
        header.AzurePrivateLinkId.Should().BeNull("the LINKID has 4 bytes");
        header.GcpPscConnectionId.Should().BeNull("the PSC connection id has 8 bytes");
        header.Tlvs.Should().HaveCount(3);
    }

    [Fact]
    public void TryParse_TwoTlvsOfOneType_TheFirstWinsAndBothAreListed()
    {
        var header = Parse(V2(0x21, 0x11, Ipv4Block, Tlv(0x02, "first"), Tlv(0x02, "second"))).Header!;

        header.Authority.Should().Be("first");
        header.Tlvs.Should().HaveCount(2);
    }

    [Fact]
    public void TryParse_TlvValues_AreCopiesTheHeaderOwns()
    {
        var wire = V2(0x21, 0x11, Ipv4Block, Tlv(0x05, 9, 9));
        var header = Parse(wire).Header!;

        Array.Clear(wire);

        header.UniqueId.ToArray().Should().Equal(9, 9);
        header.Tlvs[0].Value.ToArray().Should().Equal(9, 9);
    }

    [Fact]
    public void TryParse_ChecksumMatches_Accepted()
    {
        var header = Parse(V2WithChecksum).Header!;

        header.Authority.Should().Be("checked.example");
        header.TryGetTlv(0x03, out var checksum).Should().BeTrue();
        BinaryPrimitives.ReadUInt32BigEndian(checksum.Value.Span).Should().Be(ReferenceCrc32C([.. V2WithChecksum[..^4], 0, 0, 0, 0]));
    }

    [Fact]
    public void TryParse_AwsNetworkLoadBalancerCapture_ChecksumOfAnotherImplementationVerifies()
    {
        var header = Parse(V2AwsNetworkLoadBalancer).Header!;

        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("172.31.7.113"), 51442));
        header.DestinationEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("172.31.10.31"), 80));
        header.AwsVpcEndpointId.Should().Be("vpce-08d2bf15fac5001c9");
        header.Tlvs.Select(t => t.Type).Should().Equal(0x03, 0xEA, 0x04);
    }

    [Theory]
    [InlineData(52, "a bit of the checksum itself")]
    [InlineData(20, "an address byte")]
    [InlineData(31, "a byte of the authority TLV")]
    public void TryParse_ChecksumDoesNotMatch_ChecksumMismatch(int index, string flipped)
    {
        V2WithChecksum.Should().HaveCount(53, "16 fixed + 12 address + 18 authority TLV + 7 CRC32c TLV");
        var wire = V2WithChecksum.ToArray();
        wire[index] ^= 0x01;

        var outcome = Parse(wire);

        outcome.Status.Should().Be(ProxyParseStatus.Error, flipped);
        outcome.Error.Should().Be(ProxyProtocolError.ChecksumMismatch, flipped);
    }

    [Fact]
    public void TryParse_AwsCaptureWithOneBitChanged_ChecksumMismatch()
    {
        var wire = V2AwsNetworkLoadBalancer.ToArray();
        wire[^1] = 0x01;   // inside the no-op padding: covered by the checksum too

        Parse(wire).Error.Should().Be(ProxyProtocolError.ChecksumMismatch);
    }

    [Theory]
    [InlineData(0x11, "version 1 in binary")]
    [InlineData(0x31, "version 3")]
    [InlineData(0x01, "version 0")]
    [InlineData(0xF1, "version 15")]
    public void TryParse_VersionOtherThan2_UnsupportedVersion(byte versionCommand, string because)
    {
        var outcome = Parse(V2(versionCommand, 0x11, Ipv4Block));

        outcome.Status.Should().Be(ProxyParseStatus.Error, because);
        outcome.Error.Should().Be(ProxyProtocolError.UnsupportedVersion, because);
    }

    [Theory]
    [InlineData(0x22, 0x11, "command 2")]
    [InlineData(0x2F, 0x11, "command 15")]
    [InlineData(0x21, 0x41, "family 4")]
    [InlineData(0x21, 0xF1, "family 15")]
    [InlineData(0x21, 0x13, "transport 3")]
    [InlineData(0x20, 0x4F, "LOCAL with an unassigned family and transport")]
    public void TryParse_UnassignedCommandFamilyOrTransport_Malformed(byte versionCommand, byte familyTransport, string because)
    {
        var outcome = Parse(V2(versionCommand, familyTransport, Ipv4Block));

        outcome.Status.Should().Be(ProxyParseStatus.Error, because);
        outcome.Error.Should().Be(ProxyProtocolError.Malformed, because);
    }

    public static TheoryData<string, byte[]> LengthsPastTheBlock() => new()
    {
        { "an IPv4 block of 8 bytes", V2(0x21, 0x11, [1, 2, 3, 4, 5, 6, 7, 8]) },
        { "an IPv6 block of 32 bytes", V2(0x21, 0x21, new byte[32]) },
        { "a UNIX block of 215 bytes", V2(0x21, 0x31, new byte[215]) },
        { "a TLV header cut after 1 byte", V2(0x21, 0x11, Ipv4Block, [0x02]) },
        { "a TLV header cut after 2 bytes", V2(0x21, 0x11, Ipv4Block, [0x02, 0x00]) },
        { "a TLV value one byte past the block", V2(0x21, 0x11, Ipv4Block, [0x02, 0x00, 0x03, 0x61, 0x62]) },
        { "a TLV length of 65535", V2(0x21, 0x11, Ipv4Block, [0x02, 0xFF, 0xFF, 0x61]) },
        { "an SSL TLV shorter than its 5 fixed bytes", V2(0x21, 0x11, Ipv4Block, Tlv(0x20, 0x01, 0, 0, 0)) },
        { "an SSL sub-TLV header cut", V2(0x21, 0x11, Ipv4Block, Tlv(0x20, 0x01, 0, 0, 0, 0, 0x21, 0x00)) },
        { "an SSL sub-TLV past its parent", V2(0x21, 0x11, Ipv4Block, Tlv(0x20, [0x01, 0, 0, 0, 0, 0x21, 0x00, 0x09, .. Ascii("TLSv1.3")])) },
        { "a CRC32c TLV of 3 bytes", V2(0x21, 0x11, Ipv4Block, Tlv(0x03, 0, 0, 0)) },
        { "two CRC32c TLVs", V2(0x21, 0x11, Ipv4Block, Tlv(0x03, 0, 0, 0, 0), Tlv(0x03, 0, 0, 0, 0)) },
        { "a unique id of 129 bytes", V2(0x21, 0x11, Ipv4Block, Tlv(0x05, new byte[129])) },
    };

    [Theory]
    [MemberData(nameof(LengthsPastTheBlock))]
    public void TryParse_LengthsPastTheBlock_Malformed(string because, byte[] wire)
    {
        // The block's own length is honest: these are complete headers whose inner lengths do not fit in them.
        var outcome = Parse([.. wire, 0x99, 0x99, 0x99, 0x99]);

        outcome.Status.Should().Be(ProxyParseStatus.Error, because);
        outcome.Error.Should().Be(ProxyProtocolError.Malformed, because);
        outcome.Consumed.Should().Be(0);
    }

    [Fact]
    public void TryParse_UniqueIdOf128Bytes_Accepted()
    {
        Parse(V2(0x21, 0x11, Ipv4Block, Tlv(0x05, new byte[128]))).Header!.UniqueId.Length.Should().Be(128);
    }

    [Fact]
    public void TryParse_LengthAboveMaxHeaderSize_TooLargeFromTheFirst16Bytes()
    {
        // 16 + 4081 = 4097 > 4096: refused before the block is buffered.
        byte[] prefix = [.. Signature, 0x21, 0x11, 0x0F, 0xF1];

        var outcome = Parse(prefix);

        outcome.Status.Should().Be(ProxyParseStatus.Error);
        outcome.Error.Should().Be(ProxyProtocolError.TooLarge);
        outcome.Result.Message.Should().Contain("4097").And.Contain("4096");
    }

    [Fact]
    public void TryParse_ExactlyMaxHeaderSize_Accepted()
    {
        var wire = V2(0x21, 0x11, Ipv4Block, Tlv(0x04, new byte[4096 - 16 - 12 - 3]));

        wire.Should().HaveCount(4096);
        Parse(wire).Status.Should().Be(ProxyParseStatus.Parsed);
        Parse(wire, maxHeaderSize: 4095).Error.Should().Be(ProxyProtocolError.TooLarge);
    }

    [Fact]
    public void TryParse_LargestHeaderWithTheLargestLimit_Accepted()
    {
        var wire = V2(0x21, 0x00, Tlv(0x04, new byte[ushort.MaxValue - 3]));

        wire.Should().HaveCount(16 + 65535);
        Parse(wire, maxHeaderSize: 16 + 65535).Header!.Length.Should().Be(65551);
    }

    [Theory]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B }, "the last signature byte differs")]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x01 }, "the fifth byte is not NUL")]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x47, 0x45, 0x54 }, "an empty line, then GET")]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00 }, "a TLS ClientHello: PROXY must come before TLS")]
    [InlineData(new byte[] { 0x00 }, "a NUL")]
    public void TryParse_BadSignature_MissingHeader(byte[] wire, string because)
    {
        var outcome = Parse(wire);

        outcome.Status.Should().Be(ProxyParseStatus.Error, because);
        outcome.Error.Should().Be(ProxyProtocolError.MissingHeader, because);
    }

    [Fact]
    public void TryParse_ErrorsConsumeNothing_AndAreTheSameForEveryChunking()
    {
        byte[][] broken =
        [
            Ascii("GET / HTTP/1.1\r\n"),
            V2(0x31, 0x11, Ipv4Block),
            V2(0x21, 0x41, Ipv4Block),
            V2(0x21, 0x11, Ipv4Block, [0x02, 0x00, 0x09, 0x61]),
            [.. V2WithChecksum[..^1], (byte)(V2WithChecksum[^1] ^ 0x80)],
            Ascii("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n"),
            Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),
        ];

        foreach (var wire in broken)
        {
            var expected = Parse(wire);
            expected.Status.Should().Be(ProxyParseStatus.Error);
            foreach (var (chunking, chunks) in Chunkings(wire))
            {
                var outcome = Parse(chunks);
                outcome.Describe().Should().Be(expected.Describe(), chunking);
                outcome.Consumed.Should().Be(0, chunking);
                outcome.Examined.Should().Be(0, chunking);
            }
        }
    }
}
