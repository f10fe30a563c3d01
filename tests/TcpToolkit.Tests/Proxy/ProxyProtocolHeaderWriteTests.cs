using System.Buffers;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Proxy;
using TcpToolkit.Proxy.Internal;
using static TcpToolkit.Tests.Proxy.ParseHarness;
using static TcpToolkit.Tests.Proxy.ProxyVectors;

namespace TcpToolkit.Tests.Proxy;

/// <summary>The writer produces the golden vectors byte for byte, and what it writes parses back to the same header.</summary>
public sealed class ProxyProtocolHeaderWriteTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("192.168.0.1"), 56324);
    private static readonly IPEndPoint Server4 = new(IPAddress.Parse("192.168.0.11"), 443);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::1"), 4242);
    private static readonly IPEndPoint Server6 = new(IPAddress.Parse("2001:db8::2"), 80);

    [Fact]
    public void WriteV1_Tcp4_TheSpecificationsExampleLine()
    {
        var output = new ArrayBufferWriter<byte>();

        var written = ProxyProtocolHeader.WriteV1(output, Client4, Server4);

        output.WrittenSpan.ToArray().Should().Equal(V1Tcp4);
        written.Should().Be(V1Tcp4.Length);
    }

    [Fact]
    public void WriteV1_Tcp6WithAScope_CompressedLowerCaseAndNoZone()
    {
        var output = new ArrayBufferWriter<byte>();
        var linkLocal = new IPEndPoint(IPAddress.Parse("fe80::1%2"), 1);

        ProxyProtocolHeader.WriteV1(output, linkLocal, Server6);

        output.WrittenSpan.ToArray().Should().Equal(Ascii("PROXY TCP6 fe80::1 2001:db8::2 1 80\r\n"));
    }

    [Fact]
    public void WriteV1_LongestAddressesAndPorts_104BytesThatParseBack()
    {
        var all = new IPEndPoint(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65535);
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV1(output, all, all);

        output.WrittenSpan.ToArray().Should().Equal(V1Tcp6Longest);
    }

    [Fact]
    public void WriteV1_NoEndPoints_Unknown()
    {
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV1(output, null, null);

        output.WrittenSpan.ToArray().Should().Equal(V1Unknown);
    }

    [Fact]
    public void WriteV1_IPv4MappedNextToIPv4_WrittenAsTcp4()
    {
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV1(output, new IPEndPoint(IPAddress.Parse("::ffff:192.168.0.1"), 56324), Server4);

        output.WrittenSpan.ToArray().Should().Equal(V1Tcp4);
    }

    public static TheoryData<string, EndPoint?, EndPoint?> BadV1Pairs() => new()
    {
        { "one endpoint", Client4, null },
        { "the other endpoint", null, Server4 },
        { "two families", Client4, Server6 },
        { "Unix sockets", new UnixDomainSocketEndPoint("/a"), new UnixDomainSocketEndPoint("/b") },
        { "a DNS name", new DnsEndPoint("example.com", 1), Server4 },
    };

    [Theory]
    [MemberData(nameof(BadV1Pairs))]
    public void WriteV1_EndPointsALineCannotCarry_ArgumentException(string because, EndPoint? source, EndPoint? destination)
    {
        var act = () => ProxyProtocolHeader.WriteV1(new ArrayBufferWriter<byte>(), source, destination);

        act.Should().Throw<ArgumentException>(because);
    }

    [Fact]
    public void WriteV2_Tcp4_TheGoldenBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        var written = ProxyProtocolHeader.WriteV2(output, Client4, Server4);

        output.WrittenSpan.ToArray().Should().Equal(V2Tcp4);
        written.Should().Be(28);
    }

    [Fact]
    public void WriteV2_Tcp6_TheGoldenBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV2(output, Client6, Server6);

        output.WrittenSpan.ToArray().Should().Equal(V2Tcp6);
    }

    [Fact]
    public void WriteV2_Unix_TheGoldenBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV2(output, new UnixDomainSocketEndPoint("/run/client.sock"), new UnixDomainSocketEndPoint("/run/haproxy/backend.sock"));

        output.WrittenSpan.ToArray().Should().Equal(V2Unix);
    }

    [Fact]
    public void WriteV2_NoEndPoints_LocalTheGoldenBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV2(output, null, null);

        output.WrittenSpan.ToArray().Should().Equal(V2Local);
    }

    [Fact]
    public void WriteV2_WithChecksum_TheGoldenBytesOfTheReferenceCrc()
    {
        var output = new ArrayBufferWriter<byte>();
        var source = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40000);
        var destination = new IPEndPoint(IPAddress.Parse("192.0.2.20"), 4000);

        ProxyProtocolHeader.WriteV2(output, source, destination, [new ProxyProtocolTlv(0x02, Ascii("checked.example"))], includeChecksum: true);

        output.WrittenSpan.ToArray().Should().Equal(V2WithChecksum);
    }

    [Fact]
    public void WriteV2_TlvsAndChecksum_ParseBackToTheSameValues()
    {
        var output = new ArrayBufferWriter<byte>();
        ProxyProtocolTlv[] tlvs =
        [
            new(0x01, Ascii("h2")),
            new(0xEE, new byte[] { 0x01, 0x78, 0x56, 0x34, 0x12 }),
            new(0xF7, new byte[300]),
        ];

        ProxyProtocolHeader.WriteV2(output, Client6, Server6, tlvs, includeChecksum: true);
        var header = Parse(output.WrittenSpan.ToArray()).Header!;

        header.SourceEndPoint.Should().Be(Client6);
        header.DestinationEndPoint.Should().Be(Server6);
        header.Alpn.Should().Be("h2");
        header.AzurePrivateLinkId.Should().Be(0x12345678u);
        header.Tlvs.Select(t => t.Type).Should().Equal(0x01, 0xEE, 0xF7, 0x03);
    }

    [Fact]
    public void WriteV2_LocalWithTlvs_TheTlvsFollowTheEmptyAddressBlock()
    {
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV2(output, null, null, [new ProxyProtocolTlv(0x05, new byte[] { 1 })]);

        output.WrittenSpan.ToArray().Should().Equal(V2(0x20, 0x00, Tlv(0x05, 1)));
    }

    [Fact]
    public void WriteV2_UnixUnnamedAndAbstract_TheGoldenBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        var unnamed = (UnixDomainSocketEndPoint)Parse(V2UnixUnnamedAndAbstract).Header!.SourceEndPoint!;

        ProxyProtocolHeader.WriteV2(output, unnamed, new UnixDomainSocketEndPoint("\0backend"));

        output.WrittenSpan.ToArray().Should().Equal(V2UnixUnnamedAndAbstract);
    }

    [Fact]
    public void WriteV2_ChecksumTlvGiven_ArgumentException()
    {
        var act = () => ProxyProtocolHeader.WriteV2(new ArrayBufferWriter<byte>(), Client4, Server4, [new ProxyProtocolTlv(0x03, new byte[4])]);

        act.Should().Throw<ArgumentException>().WithParameterName("tlvs");
    }

    [Fact]
    public void WriteV2_BlockOver65535Bytes_ArgumentException()
    {
        var act = () => ProxyProtocolHeader.WriteV2(new ArrayBufferWriter<byte>(), Client4, Server4, [new ProxyProtocolTlv(0x04, new byte[65535 - 12 - 3 + 1])]);

        act.Should().Throw<ArgumentException>().WithMessage("*65535*");
    }

    [Fact]
    public void WriteV2_LargestBlock_Written()
    {
        var output = new ArrayBufferWriter<byte>();

        ProxyProtocolHeader.WriteV2(output, Client4, Server4, [new ProxyProtocolTlv(0x04, new byte[65535 - 12 - 3])]);

        output.WrittenCount.Should().Be(65551);
    }

    [Theory]
    [MemberData(nameof(BadV1Pairs))]
    public void WriteV2_MismatchedEndPoints_ArgumentException(string because, EndPoint? source, EndPoint? destination)
    {
        if (source is UnixDomainSocketEndPoint)
        {
            // Version 2 carries Unix sockets; pair one with an IP endpoint instead.
            destination = Server4;
        }

        var act = () => ProxyProtocolHeader.WriteV2(new ArrayBufferWriter<byte>(), source, destination);

        act.Should().Throw<ArgumentException>(because);
    }

    [Fact]
    public void Tlv_ValueOver65535Bytes_ArgumentOutOfRange()
    {
        var act = () => new ProxyProtocolTlv(0x04, new byte[65536]);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void WriteForEndPoints_EndPointsTheVersionCannotCarry_UnknownOrUnspecified()
    {
        var output = new ArrayBufferWriter<byte>();
        var unixA = new UnixDomainSocketEndPoint("/a");
        var unixB = new UnixDomainSocketEndPoint("/b");

        ProxyHeaderWriter.WriteForEndPoints(output, 1, unixA, unixB);
        output.WrittenSpan.ToArray().Should().Equal(V1Unknown);

        output.Clear();
        ProxyHeaderWriter.WriteForEndPoints(output, 2, new DnsEndPoint("example.com", 1), Server4);
        output.WrittenSpan.ToArray().Should().Equal(V2(0x21, 0x00), "PROXY over AF_UNSPEC: the receiver keeps its socket's addresses");

        output.Clear();
        ProxyHeaderWriter.WriteForEndPoints(output, 2, unixA, unixB);
        Parse(output.WrittenSpan.ToArray()).Header!.SourceEndPoint.Should().Be(unixA);
    }
}
