using System.Net;
using System.Net.Sockets;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>Connected mode: one peer, SendAsync, only that peer's datagrams, and ICMP port unreachable survived.</summary>
public sealed class UdpEndpointConnectedTests
{
    [Fact]
    public async Task Connect_SendAsyncAndReply_RoundTripsWithThePeer()
    {
        var ct = TestServers.Timeout();
        await using var server = DatagramTestHelpers.BindLoopback();
        await using var client = DatagramTestHelpers.BindLoopback();

        client.Connect(server.LocalEndPoint);
        await client.SendAsync("ping"u8.ToArray(), ct);
        var request = await DatagramTestHelpers.ReceiveOneAsync(server, ct);
        await server.SendToAsync("pong"u8.ToArray(), request.RemoteEndPoint, ct);
        var reply = await DatagramTestHelpers.ReceiveOneAsync(client, ct);

        client.RemoteEndPoint.Should().Be(server.LocalEndPoint);
        request.Payload.Should().Equal("ping"u8.ToArray());
        request.RemoteEndPoint.Should().Be(client.LocalEndPoint);
        reply.Payload.Should().Equal("pong"u8.ToArray());
        reply.RemoteEndPoint.Should().Be(server.LocalEndPoint);
        client.DatagramsSent.Should().Be(1);
    }

    [Fact]
    public async Task Connect_DatagramFromAnotherPeer_NotDelivered()
    {
        var ct = TestServers.Timeout();
        await using var client = DatagramTestHelpers.BindLoopback();
        await using var peer = DatagramTestHelpers.BindLoopback();
        await using var stranger = DatagramTestHelpers.BindLoopback();
        client.Connect(peer.LocalEndPoint);

        // The stranger's datagram goes first; the kernel filters it, so the first thing read is the peer's.
        await stranger.SendToAsync("stranger"u8.ToArray(), client.LocalEndPoint, ct);
        await peer.SendToAsync("peer"u8.ToArray(), client.LocalEndPoint, ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(client, ct);

        received.Payload.Should().Equal("peer"u8.ToArray());
        client.DatagramsReceived.Should().Be(1);
    }

    [Fact]
    public async Task SendToAsync_WhenConnected_ThrowsAndSendAsyncWhenNot_Throws()
    {
        await using var connected = DatagramTestHelpers.BindLoopback();
        await using var unconnected = DatagramTestHelpers.BindLoopback();
        connected.Connect(unconnected.LocalEndPoint);

        var sendTo = async () => await connected.SendToAsync(new byte[1], unconnected.LocalEndPoint);
        var send = async () => await unconnected.SendAsync(new byte[1]);

        await sendTo.Should().ThrowAsync<InvalidOperationException>();
        await send.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task Connect_PeerGoneThenBack_IcmpPortUnreachableLoggedAndTheEndpointKeepsWorking()
    {
        var ct = TestServers.Timeout();
        using var events = new EventSignalLoggerProvider();
        await using var client = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { LoggerFactory = events });
        var peer = DatagramTestHelpers.BindLoopback();
        var peerEndPoint = peer.LocalEndPoint;
        client.Connect(peerEndPoint);
        await client.SendAsync("one"u8.ToArray(), ct);
        (await DatagramTestHelpers.ReceiveOneAsync(peer, ct)).Payload.Should().Equal("one"u8.ToArray());

        // The peer closes. Linux answers the next datagrams with ICMP port unreachable and reports it to the connected
        // socket's next call as ECONNREFUSED: the pending receive (logged, the loop goes on) or a send (logged, sent again).
        await peer.DisposeAsync();
        await client.SendAsync("anyone?"u8.ToArray(), ct);
        await client.SendAsync("anyone?"u8.ToArray(), ct);
        await Task.WhenAny(events.WaitForAsync(504, 1), events.WaitForAsync(510, 1)).WaitAsync(ct);

        // The peer comes back on the same port: the same endpoint talks to it both ways.
        await using var back = UdpEndpoint.Bind(peerEndPoint);
        await client.SendAsync("two"u8.ToArray(), ct);
        (await DatagramTestHelpers.ReceiveOneAsync(back, ct)).Payload.Should().Equal("two"u8.ToArray());
        await back.SendToAsync("back"u8.ToArray(), client.LocalEndPoint, ct);
        (await DatagramTestHelpers.ReceiveOneAsync(client, ct)).Payload.Should().Equal("back"u8.ToArray());
        events.Count(506).Should().Be(0, "the receive loop did not die");
        client.DatagramsSent.Should().Be(4);
    }

    [Fact]
    public async Task Connect_Twice_Throws()
    {
        await using var client = DatagramTestHelpers.BindLoopback();
        await using var peer = DatagramTestHelpers.BindLoopback();
        client.Connect(peer.LocalEndPoint);

        var again = () => client.Connect(peer.LocalEndPoint);

        again.Should().Throw<InvalidOperationException>();
        client.RemoteEndPoint.Should().Be(peer.LocalEndPoint);
    }

    [Fact]
    public async Task SendToAsync_UnconnectedToClosedPort_NoErrorAndTheLoopGoesOn()
    {
        var ct = TestServers.Timeout();
        using var events = new EventSignalLoggerProvider();
        await using var endpoint = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { LoggerFactory = events });
        await using var peer = DatagramTestHelpers.BindLoopback();

        for (var i = 0; i < 3; i++)
        {
            await endpoint.SendToAsync("void"u8.ToArray(), ClosedUdpPort(), ct);
        }

        await peer.SendToAsync("alive"u8.ToArray(), endpoint.LocalEndPoint, ct);
        (await DatagramTestHelpers.ReceiveOneAsync(endpoint, ct)).Payload.Should().Equal("alive"u8.ToArray());
        events.Count(506).Should().Be(0);
    }

    /// <summary>A loopback UDP port nobody listens on: bound, noted, closed.</summary>
    private static IPEndPoint ClosedUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }
}
