using System.Net;
using System.Net.Sockets;
using TcpToolkit.Hosting.Internal;

namespace TcpToolkit.Hosting.Tests;

/// <summary>The endpoint strings of <c>TcpServer:EndPoints</c>.</summary>
public sealed class EndPointParserTests
{
    [Theory]
    [InlineData("127.0.0.1:65432", "127.0.0.1:65432")]
    [InlineData(" 127.0.0.1:0 ", "127.0.0.1:0")]
    [InlineData("0.0.0.0:5000", "0.0.0.0:5000")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData("[::]:5000", "[::]:5000")]
    [InlineData("*:5000", "[::]:5000")]
    [InlineData("[fe80::1%2]:7000", "[fe80::1%2]:7000")]
    public void TryParse_IpEndPoint_Parses(string text, string expected)
    {
        EndPointParser.TryParse(text, out var endPoint, out var error).Should().BeTrue(error);

        endPoint.Should().BeOfType<IPEndPoint>().Which.ToString().Should().Be(expected);
    }

    [Fact]
    public void TryParse_Unix_IsAUnixDomainSocket()
    {
        EndPointParser.TryParse("unix:/run/app.sock", out var endPoint, out _).Should().BeTrue();

        endPoint.Should().BeOfType<UnixDomainSocketEndPoint>().Which.ToString().Should().Be("/run/app.sock");
    }

    [Theory]
    [InlineData("localhost:5000", "is not an IP endpoint")]
    [InlineData("example.com:80", "is not an IP endpoint")]
    [InlineData("12:34", "is not an IP endpoint")]
    [InlineData("::1:5000", "is not an IP endpoint")]
    [InlineData("[127.0.0.1]:5000", "is not an IP endpoint")]
    [InlineData("127.0.0.1", "has no port")]
    [InlineData("[::1]", "has no port")]
    [InlineData("127.0.0.1:x", "has no valid port")]
    [InlineData("127.0.0.1:65536", "has no valid port")]
    [InlineData("127.0.0.1:-1", "has no valid port")]
    [InlineData("127.0.0.1:", "has no valid port")]
    [InlineData("", "is empty")]
    [InlineData("unix:", "has no path")]
    public void TryParse_Invalid_SaysWhy(string text, string why)
    {
        EndPointParser.TryParse(text, out var endPoint, out var error).Should().BeFalse();

        endPoint.Should().BeNull();
        error.Should().StartWith(why);
    }
}
