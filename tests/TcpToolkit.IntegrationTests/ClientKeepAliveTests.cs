using System.Net;
using System.Net.Sockets;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests;

/// <summary>TCP keepalive settings from <see cref="TcpClientOptions"/> reach the socket.</summary>
public sealed class ClientKeepAliveTests
{
    [Fact]
    public async Task CreateSocket_KeepAliveOptionsSet_AppliesThemToTheSocket()
    {
        await using var client = new TcpClient(new TcpClientOptions
        {
            KeepAliveTime = TimeSpan.FromSeconds(7),
            KeepAliveInterval = TimeSpan.FromMilliseconds(1500),
            KeepAliveRetryCount = 4,
        });

        using var socket = client.CreateSocket(new IPEndPoint(IPAddress.Loopback, 1));

        ((int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().NotBe(0);
        socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime).Should().Be(7);
        socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval).Should().Be(2, "sub-second parts round up");
        socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount).Should().Be(4);
    }

    [Fact]
    public async Task CreateSocket_KeepAliveTimeNull_LeavesKeepAliveOff()
    {
        await using var client = new TcpClient();

        using var socket = client.CreateSocket(new IPEndPoint(IPAddress.Loopback, 1));

        ((int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!).Should().Be(0);
    }

    [Fact]
    public void KeepAliveOptions_ZeroOrNegative_Throw()
    {
        var options = new TcpClientOptions();

        ((Action)(() => options.KeepAliveTime = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.KeepAliveInterval = TimeSpan.FromSeconds(-1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.KeepAliveRetryCount = 0)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
