using System.Net;
using TcpToolkit.Proxy.Internal;

namespace TcpToolkit.Tests.Proxy;

/// <summary>The strict text forms of version 1 addresses agree with <see cref="IPAddress"/> where both accept, and refuse what the specification excludes.</summary>
public sealed class AddressTextTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("10.20.30.40")]
    public void TryParseIPv4_CanonicalForms_SameBytesAsIPAddress(string text)
    {
        var bytes = new byte[4];

        AddressText.TryParseIPv4(System.Text.Encoding.ASCII.GetBytes(text), bytes).Should().BeTrue();

        bytes.Should().Equal(IPAddress.Parse(text).GetAddressBytes());
    }

    [Theory]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("1::")]
    [InlineData("2001:db8::8:800:200c:417a")]
    [InlineData("ff01::101")]
    [InlineData("1:2:3:4:5:6:7:8")]
    [InlineData("1::8")]
    [InlineData("1:2:3:4:5:6::8")]
    [InlineData("1:2:3:4:5:6:7::")]
    [InlineData("::2:3:4:5:6:7:8")]
    [InlineData("::ffff:192.0.2.128")]
    [InlineData("::192.0.2.128")]
    [InlineData("64:ff9b::192.0.2.33")]
    [InlineData("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF")]
    [InlineData("0:0:0:0:0:0:0:0")]
    [InlineData("0001:0002:0003:0004:0005:0006:0007:0008")]
    public void TryParseIPv6_ValidForms_SameBytesAsIPAddress(string text)
    {
        var bytes = new byte[16];

        AddressText.TryParseIPv6(System.Text.Encoding.ASCII.GetBytes(text), bytes).Should().BeTrue();

        bytes.Should().Equal(IPAddress.Parse(text).GetAddressBytes());
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("::1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("::ffff:1.2.3")]
    [InlineData("::ffff:1.2.3.4.5")]
    [InlineData("1.2.3.4")]
    [InlineData("12345::")]
    [InlineData("::1 ")]
    public void TryParseIPv6_InvalidForms_Refused(string text)
    {
        AddressText.TryParseIPv6(System.Text.Encoding.ASCII.GetBytes(text), new byte[16]).Should().BeFalse();
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData("443", 443)]
    [InlineData("65535", 65535)]
    public void TryParsePort_DecimalWithoutLeadingZeros_Accepted(string text, int expected)
    {
        AddressText.TryParsePort(System.Text.Encoding.ASCII.GetBytes(text), out var port).Should().BeTrue();

        port.Should().Be(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("65536")]
    [InlineData("99999")]
    [InlineData("123456")]
    [InlineData("+1")]
    [InlineData("1 ")]
    public void TryParsePort_Others_Refused(string text)
    {
        AddressText.TryParsePort(System.Text.Encoding.ASCII.GetBytes(text), out _).Should().BeFalse();
    }
}
