using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>
/// Multicast kept on the loopback interface (joined there, sent out of it, looped back), so nothing reaches a real
/// network. Where the kernel has no multicast route on loopback (Linux's lo has no MULTICAST flag; IPv4 still works
/// with an explicit interface, IPv6 does not) the test is skipped with the kernel's answer, never passed silently.
/// </summary>
public sealed class UdpEndpointMulticastTests
{
    [Fact]
    public async Task JoinMulticastGroup_IPv4OnLoopback_ReceivesTheGroupUntilItLeaves()
    {
        var ct = TestServers.Timeout();
        var group = IPAddress.Parse("239.255.77.1");
        var options = new UdpEndpointOptions { MulticastInterfaceIndex = NetworkInterface.LoopbackInterfaceIndex };
        await using var member = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Any, 0), options);
        await using var sender = DatagramTestHelpers.BindLoopback(options);
        await using var unicast = DatagramTestHelpers.BindLoopback();
        var target = new IPEndPoint(group, member.LocalEndPoint.Port);

        JoinOrSkip(member, group);
        await SendOrSkipAsync(sender, target, "to the group"u8.ToArray(), ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(member, ct);

        received.Payload.Should().Equal("to the group"u8.ToArray());
        received.RemoteEndPoint.Port.Should().Be(sender.LocalEndPoint.Port);

        // After leaving, a group datagram is no longer delivered: the next thing read is a unicast one sent after it.
        member.LeaveMulticastGroup(group);
        await sender.SendToAsync("after leave"u8.ToArray(), target, ct);
        await unicast.SendToAsync("unicast"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, member.LocalEndPoint.Port), ct);
        (await DatagramTestHelpers.ReceiveOneAsync(member, ct)).Payload.Should().Equal("unicast"u8.ToArray());
    }

    [Fact]
    public async Task JoinMulticastGroup_IPv4OnDualModeEndpoint_Receives()
    {
        var ct = TestServers.Timeout();
        var group = IPAddress.Parse("239.255.77.2");
        var options = new UdpEndpointOptions { MulticastInterfaceIndex = NetworkInterface.LoopbackInterfaceIndex };
        await using var member = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), options);
        await using var sender = DatagramTestHelpers.BindLoopback(options);

        JoinOrSkip(member, group);
        await SendOrSkipAsync(sender, new IPEndPoint(group, member.LocalEndPoint.Port), "dual"u8.ToArray(), ct);

        (await DatagramTestHelpers.ReceiveOneAsync(member, ct)).Payload.Should().Equal("dual"u8.ToArray());
    }

    [Fact]
    public async Task JoinMulticastGroup_IPv6OnLoopback_ReceivesTheGroup()
    {
        var ct = TestServers.Timeout();
        var group = IPAddress.Parse("ff15::7701");
        var options = new UdpEndpointOptions { MulticastInterfaceIndex = NetworkInterface.IPv6LoopbackInterfaceIndex };
        await using var member = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), options);
        await using var sender = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0), options);

        JoinOrSkip(member, group);
        await SendOrSkipAsync(sender, new IPEndPoint(group, member.LocalEndPoint.Port), "six"u8.ToArray(), ct);

        (await DatagramTestHelpers.ReceiveOneAsync(member, ct)).Payload.Should().Equal("six"u8.ToArray());
    }

    [Fact]
    public async Task JoinMulticastGroup_NotAMulticastAddressOrWrongFamily_ThrowsArgumentException()
    {
        await using var v4 = DatagramTestHelpers.BindLoopback();
        await using var v6 = UdpEndpoint.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));

        ((Action)(() => v4.JoinMulticastGroup(IPAddress.Loopback))).Should().Throw<ArgumentException>();
        ((Action)(() => v4.JoinMulticastGroup(IPAddress.Parse("ff15::1")))).Should().Throw<ArgumentException>();
        ((Action)(() => v6.JoinMulticastGroup(IPAddress.Parse("239.255.0.1")))).Should().Throw<ArgumentException>();
    }

    private static void JoinOrSkip(UdpEndpoint member, IPAddress group)
    {
        try
        {
            member.JoinMulticastGroup(group);
        }
        catch (SocketException ex)
        {
            Assert.Skip($"The kernel refused to join {group} on the loopback interface: {ex.SocketErrorCode} ({ex.Message}).");
        }
    }

    private static async Task SendOrSkipAsync(UdpEndpoint sender, IPEndPoint target, byte[] payload, CancellationToken cancellationToken)
    {
        try
        {
            await sender.SendToAsync(payload, target, cancellationToken);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.AddressNotAvailable)
        {
            Assert.Skip($"The kernel has no multicast route to {target.Address} out of the loopback interface: {ex.SocketErrorCode} ({ex.Message}).");
        }
    }
}
