using System.Net;
using System.Net.Sockets;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>SO_BROADCAST: off by default (a broadcast send is refused), on by option (the loopback broadcast arrives).</summary>
public sealed class UdpEndpointBroadcastTests
{
    // The broadcast address of 127.0.0.0/8 on the loopback interface: stays on this machine.
    private static readonly IPAddress LoopbackBroadcast = IPAddress.Parse("127.255.255.255");

    [Fact]
    public async Task EnableBroadcast_On_BroadcastSendArrives()
    {
        var ct = TestServers.Timeout();
        await using var receiver = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Any, 0));
        await using var sender = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { EnableBroadcast = true });

        await sender.SendToAsync("beacon"u8.ToArray(), new IPEndPoint(LoopbackBroadcast, receiver.LocalEndPoint.Port), ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        sender.EnableBroadcast.Should().BeTrue();
        received.Payload.Should().Equal("beacon"u8.ToArray());
    }

    [Fact]
    public async Task EnableBroadcast_Default_OffAndABroadcastSendIsRefused()
    {
        var ct = TestServers.Timeout();
        await using var sender = DatagramTestHelpers.BindLoopback();

        var act = async () => await sender.SendToAsync("beacon"u8.ToArray(), new IPEndPoint(LoopbackBroadcast, 9), ct);

        sender.EnableBroadcast.Should().BeFalse();
        (await act.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.AccessDenied);
    }
}
