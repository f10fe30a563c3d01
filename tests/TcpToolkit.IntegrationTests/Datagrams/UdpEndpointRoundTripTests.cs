using System.Net;
using System.Net.Sockets;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>Datagrams over loopback: whole, content checked, from 1 B to the largest IPv4 payload; IPv6 and dual mode.</summary>
public sealed class UdpEndpointRoundTripTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(508)]
    [InlineData(1472)]
    [InlineData(8192)]
    [InlineData(65_000)]
    [InlineData(65_506)]
    [InlineData(UdpEndpointOptions.MaxIPv4DatagramSize)]
    public async Task SendToAsync_PayloadOfSize_ArrivesWholeAndUnchanged(int size)
    {
        var ct = TestServers.Timeout();
        await using var receiver = DatagramTestHelpers.BindLoopback();
        await using var sender = DatagramTestHelpers.BindLoopback();
        var payload = TestServers.RandomBytes(size, seed: size);

        await sender.SendToAsync(payload, receiver.LocalEndPoint, ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        received.Payload.Should().Equal(payload);
        received.IsTruncated.Should().BeFalse();
        received.RemoteEndPoint.Should().Be(sender.LocalEndPoint);
        receiver.DatagramsReceived.Should().Be(1);
        sender.DatagramsSent.Should().Be(1);
    }

    [Fact]
    public async Task SendToAsync_SeveralSizesInTurn_EachArrivesAsItsOwnMessage()
    {
        var ct = TestServers.Timeout();
        // 170 KB in flight at once: a socket buffer well above it, so the kernel has no reason to drop one.
        await using var receiver = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { ReceiveBufferSize = 1024 * 1024 });
        await using var sender = DatagramTestHelpers.BindLoopback();
        int[] sizes = [1, 65_507, 3, 40_000, 0, 1];
        var payloads = sizes.Select((size, i) => TestServers.RandomBytes(size, seed: i)).ToArray();

        // Sent back to back; UDP keeps each one a message of its own, unlike a TCP byte stream.
        foreach (var payload in payloads)
        {
            await sender.SendToAsync(payload, receiver.LocalEndPoint, ct);
        }

        var index = 0;
        await foreach (var datagram in receiver.ReadAllAsync(ct))
        {
            datagram.Payload.ToArray().Should().Equal(payloads[index], $"datagram {index} is {sizes[index]} bytes");
            if (++index == payloads.Length)
            {
                break;
            }
        }
    }

    [Fact]
    public async Task Bind_PortZero_LocalEndPointHasTheChosenPort()
    {
        await using var endpoint = DatagramTestHelpers.BindLoopback();

        endpoint.LocalEndPoint.Address.Should().Be(IPAddress.Loopback);
        endpoint.LocalEndPoint.Port.Should().BeGreaterThan(0);
        endpoint.RemoteEndPoint.Should().BeNull();
    }

    [Fact]
    public async Task SendToAsync_IPv6Loopback_RoundTrips()
    {
        var ct = TestServers.Timeout();
        await using var receiver = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var sender = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var payload = TestServers.RandomBytes(UdpEndpointOptions.MaxIPv4DatagramSize, seed: 6);

        await sender.SendToAsync(payload, receiver.LocalEndPoint, ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        receiver.LocalEndPoint.AddressFamily.Should().Be(AddressFamily.InterNetworkV6);
        received.Payload.Should().Equal(payload);
        received.RemoteEndPoint.Should().Be(sender.LocalEndPoint);
    }

    [Fact]
    public async Task SendToAsync_IPv6MaxPayloadWithMaxDatagramSizeRaised_ArrivesWhole()
    {
        var ct = TestServers.Timeout();
        var options = new UdpEndpointOptions { MaxDatagramSize = UdpEndpointOptions.MaxIPv6DatagramSize };
        await using var receiver = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0), options);
        await using var sender = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var payload = TestServers.RandomBytes(UdpEndpointOptions.MaxIPv6DatagramSize, seed: 7);

        await sender.SendToAsync(payload, receiver.LocalEndPoint, ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        received.Payload.Should().Equal(payload);
        received.IsTruncated.Should().BeFalse();
    }

    [Fact]
    public async Task Bind_IPv6Any_DualModeReceivesIPv4AndIPv6AndRepliesToBoth()
    {
        var ct = TestServers.Timeout();
        await using var dual = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        await using var v4 = DatagramTestHelpers.BindLoopback();
        await using var v6 = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));

        await v4.SendToAsync("four"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, dual.LocalEndPoint.Port), ct);
        var fromV4 = await DatagramTestHelpers.ReceiveOneAsync(dual, ct);
        await v6.SendToAsync("six"u8.ToArray(), new IPEndPoint(IPAddress.IPv6Loopback, dual.LocalEndPoint.Port), ct);
        var fromV6 = await DatagramTestHelpers.ReceiveOneAsync(dual, ct);

        fromV4.Payload.Should().Equal("four"u8.ToArray());
        fromV4.RemoteEndPoint.Address.IsIPv4MappedToIPv6.Should().BeTrue();
        fromV4.RemoteEndPoint.Address.MapToIPv4().Should().Be(IPAddress.Loopback);
        fromV4.RemoteEndPoint.Port.Should().Be(v4.LocalEndPoint.Port);
        fromV6.Payload.Should().Equal("six"u8.ToArray());
        fromV6.RemoteEndPoint.Should().Be(v6.LocalEndPoint);

        // Replies go back to what RemoteEndPoint says, whichever family the sender used.
        await dual.SendToAsync("reply4"u8.ToArray(), fromV4.RemoteEndPoint, ct);
        await dual.SendToAsync("reply6"u8.ToArray(), fromV6.RemoteEndPoint, ct);
        (await DatagramTestHelpers.ReceiveOneAsync(v4, ct)).Payload.Should().Equal("reply4"u8.ToArray());
        (await DatagramTestHelpers.ReceiveOneAsync(v6, ct)).Payload.Should().Equal("reply6"u8.ToArray());
    }

    [Fact]
    public async Task RemoteEndPoint_SteadyPeer_SameObjectEachTime()
    {
        var ct = TestServers.Timeout();
        await using var receiver = DatagramTestHelpers.BindLoopback();
        await using var sender = DatagramTestHelpers.BindLoopback();

        await sender.SendToAsync(new byte[] { 1 }, receiver.LocalEndPoint, ct);
        var first = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);
        await sender.SendToAsync(new byte[] { 2 }, receiver.LocalEndPoint, ct);
        var second = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        second.RemoteEndPoint.Should().BeSameAs(first.RemoteEndPoint);
    }

    [Fact]
    public async Task SendToAsync_PayloadOverIPv4Maximum_ThrowsMessageSize()
    {
        var ct = TestServers.Timeout();
        await using var receiver = DatagramTestHelpers.BindLoopback();
        await using var sender = DatagramTestHelpers.BindLoopback();

        var act = async () => await sender.SendToAsync(new byte[UdpEndpointOptions.MaxIPv4DatagramSize + 1], receiver.LocalEndPoint, ct);

        (await act.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.MessageSize);
        sender.DatagramsSent.Should().Be(0);
    }
}
