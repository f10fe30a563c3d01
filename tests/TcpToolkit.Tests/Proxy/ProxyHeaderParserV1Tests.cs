using System.Net;
using System.Net.Sockets;
using TcpToolkit.Proxy;
using TcpToolkit.Proxy.Internal;
using static TcpToolkit.Tests.Proxy.ParseHarness;
using static TcpToolkit.Tests.Proxy.ProxyVectors;

namespace TcpToolkit.Tests.Proxy;

/// <summary>Version 1 (section 2.1): the values of valid lines, and every way a line can break the grammar.</summary>
public sealed class ProxyHeaderParserV1Tests
{
    [Fact]
    public void TryParse_SpecExampleTcp4_SourceDestinationAndPorts()
    {
        var header = Parse(V1Tcp4).Header!;

        header.Version.Should().Be(1);
        header.IsLocal.Should().BeFalse();
        header.AddressFamily.Should().Be(AddressFamily.InterNetwork);
        header.SocketType.Should().Be(SocketType.Stream);
        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("192.168.0.1"), 56324));
        header.DestinationEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("192.168.0.11"), 443));
        header.Length.Should().Be(47);
        header.Tlvs.Should().BeEmpty();
    }

    [Fact]
    public void TryParse_Tcp6FullAndCompressed_BothDecodeToTheSameKindOfAddress()
    {
        var header = Parse(V1Tcp6).Header!;

        header.AddressFamily.Should().Be(AddressFamily.InterNetworkV6);
        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 4242));
        header.DestinationEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("2001:db8::2"), 80));
    }

    [Fact]
    public void TryParse_LongestTcp6Line_104BytesAccepted()
    {
        V1Tcp6Longest.Should().HaveCount(104);

        var header = Parse(V1Tcp6Longest).Header!;

        header.SourceEndPoint.Should().Be(new IPEndPoint(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65535));
    }

    [Theory]
    [InlineData("PROXY TCP6 ::ffff:10.1.2.3 ::1 1 2\r\n", "[::ffff:10.1.2.3]:1")]
    [InlineData("PROXY TCP6 :: ::1 0 2\r\n", "[::]:0")]
    [InlineData("PROXY TCP6 1:: ::1 1 2\r\n", "[1::]:1")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8 ::1 1 2\r\n", "[1:2:3:4:5:6:7:8]:1")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:1.2.3.4 ::1 1 2\r\n", "[1:2:3:4:5:6:102:304]:1")]
    [InlineData("PROXY TCP6 AbCd::eF01 ::1 1 2\r\n", "[abcd::ef01]:1")]
    [InlineData("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "0.0.0.0:0")]
    public void TryParse_ValidAddressForms_Accepted(string line, string source)
    {
        var outcome = Parse(Ascii(line));

        outcome.Status.Should().Be(ProxyParseStatus.Parsed, outcome.Describe());
        outcome.Header!.SourceEndPoint!.ToString().Should().Be(source);
    }

    [Fact]
    public void TryParse_UnknownShortForm_NoAddressesAnd15Bytes()
    {
        var header = Parse(V1Unknown).Header!;

        header.AddressFamily.Should().Be(AddressFamily.Unspecified);
        header.SocketType.Should().Be(SocketType.Unknown);
        header.SourceEndPoint.Should().BeNull();
        header.DestinationEndPoint.Should().BeNull();
        header.Length.Should().Be(15);
    }

    [Fact]
    public void TryParse_UnknownWorstCase107Bytes_RestOfLineIgnored()
    {
        V1UnknownLongest.Should().HaveCount(107);

        var header = Parse(V1UnknownLongest).Header!;

        header.SourceEndPoint.Should().BeNull();
        header.Length.Should().Be(107);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN garbage that is not even addresses\r\n")]
    [InlineData("PROXY UNKNOWN \r\n")]
    public void TryParse_UnknownWithAnythingAfterASpace_Accepted(string line)
    {
        Parse(Ascii(line)).Status.Should().Be(ProxyParseStatus.Parsed);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655355\r\n", "108 bytes: the CRLF is past the 107th")]
    [InlineData("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 6553555", "107 bytes and no CR")]
    public void TryParse_NoCrLfWithin107Bytes_Malformed(string text, string because)
    {
        var outcome = Parse(Ascii(text));

        outcome.Status.Should().Be(ProxyParseStatus.Error, because);
        outcome.Error.Should().Be(ProxyProtocolError.Malformed);
        outcome.Result.Message.Should().Contain("107");
    }

    [Fact]
    public void TryParse_106BytesWithoutCrLf_StillNeedsMore()
    {
        Parse(Ascii("PROXY UNKNOWN " + new string('a', 92))).Status.Should().Be(ProxyParseStatus.NeedMoreData);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\n", "a lone LF ends no line")]
    [InlineData("PROXY UNKNOWN\rX", "a lone CR ends no line")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\r", "LF before CR")]
    [InlineData("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", "no space after PROXY")]
    [InlineData("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "two spaces after PROXY")]
    [InlineData("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "two spaces after the protocol")]
    [InlineData("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "two spaces between addresses")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "a trailing space")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "three fields")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "five fields")]
    [InlineData("PROXY TCP4\r\n", "no fields")]
    [InlineData("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "an unknown protocol")]
    [InlineData("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "the protocol is upper case")]
    [InlineData("PROXY UNKNOWNX\r\n", "UNKNOWN must be followed by a space or CRLF")]
    [InlineData("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "version 1 has no UDP")]
    [InlineData("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "a tab is not printable US-ASCII")]
    [InlineData("PROXY\r\n", "PROXY alone")]
    public void TryParse_BrokenGrammar_Malformed(string line, string because)
    {
        var outcome = Parse(Ascii(line));

        outcome.Status.Should().Be(ProxyParseStatus.Error, because);
        outcome.Error.Should().Be(ProxyProtocolError.Malformed, because);
        outcome.Consumed.Should().Be(0);
    }

    [Fact]
    public void TryParse_NonAsciiByte_MalformedBeforeTheLineEnds()
    {
        var outcome = Parse([.. Ascii("PROXY TCP4 1.2."), 0xC3, 0xA9]);

        outcome.Error.Should().Be(ProxyProtocolError.Malformed, "a byte that cannot be in the line fails at once, without waiting for 107 bytes");
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.01 1.2.3.4 1 2\r\n", "a leading zero (octal confusion)")]
    [InlineData("PROXY TCP4 256.1.1.1 1.2.3.4 1 2\r\n", "an octet over 255")]
    [InlineData("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n", "three octets")]
    [InlineData("PROXY TCP4 1.2.3.4.5 1.2.3.4 1 2\r\n", "five octets")]
    [InlineData("PROXY TCP4 1..3.4 1.2.3.4 1 2\r\n", "an empty octet")]
    [InlineData("PROXY TCP4 1 1.2.3.4 1 2\r\n", "a single number (IPAddress.TryParse would take it)")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 1.2.3.4 1 2\r\n", "hexadecimal")]
    [InlineData("PROXY TCP4 ::1 1.2.3.4 1 2\r\n", "an IPv6 address after TCP4")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "an IPv4 address after TCP6")]
    [InlineData("PROXY TCP6 2001:db8:::1 ::1 1 2\r\n", "three colons")]
    [InlineData("PROXY TCP6 2001::db8::1 ::1 1 2\r\n", "two double colons")]
    [InlineData("PROXY TCP6 12345::1 ::1 1 2\r\n", "five hex digits")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n", "seven groups without ::")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", "nine groups")]
    [InlineData("PROXY TCP6 1:2:3:4::5:6:7:8 ::1 1 2\r\n", ":: standing for no group")]
    [InlineData("PROXY TCP6 :1::2 ::1 1 2\r\n", "a leading single colon")]
    [InlineData("PROXY TCP6 1::2: ::1 1 2\r\n", "a trailing single colon")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "a zone")]
    [InlineData("PROXY TCP6 [::1] ::1 1 2\r\n", "brackets")]
    [InlineData("PROXY TCP6 ::ffff:1.2.3.04 ::1 1 2\r\n", "a leading zero in the IPv4 tail")]
    [InlineData("PROXY TCP6 1.2.3.4:: ::1 1 2\r\n", "an IPv4 part that is not last")]
    [InlineData("PROXY TCP6 g::1 ::1 1 2\r\n", "not hex")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "a port over 65535")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", "a port with a leading zero")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 00 2\r\n", "port 00")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "a negative port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1a 2\r\n", "a port that is not decimal")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n", "a six-digit port")]
    public void TryParse_BadAddressOrPort_InvalidAddress(string line, string because)
    {
        var outcome = Parse(Ascii(line));

        outcome.Status.Should().Be(ProxyParseStatus.Error, because);
        outcome.Error.Should().Be(ProxyProtocolError.InvalidAddress, because);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXZ")]
    [InlineData("PRX")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    public void TryParse_NotAHeader_MissingHeaderFromTheFirstBytes(string text)
    {
        var outcome = Parse(Ascii(text));

        outcome.Status.Should().Be(ProxyParseStatus.Error);
        outcome.Error.Should().Be(ProxyProtocolError.MissingHeader);
    }

    [Theory]
    [InlineData("P")]
    [InlineData("PROX")]
    [InlineData("PROXY")]
    [InlineData("PROXY TCP4 1.2.3.4")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r")]
    public void TryParse_StartOfAValidLine_NeedsMore(string text)
    {
        Parse(Ascii(text)).Status.Should().Be(ProxyParseStatus.NeedMoreData);
    }
}
