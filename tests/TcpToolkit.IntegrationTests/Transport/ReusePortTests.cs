using System.Net;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary><see cref="TcpServerOptions.ReusePort"/>: several servers on one port, the kernel spreading connections.</summary>
public sealed class ReusePortTests
{
    [Fact]
    public async Task ReusePort_TwoServersOnOnePort_BothStartAndBothServeConnections()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "SO_REUSEPORT balancing is Linux's.");
        var ct = TestServers.Timeout();
        var served = new int[2];
        await using var first = await TestServers.StartAsync(Counting(served, 0), options => options.ReusePort = true);
        var port = ((IPEndPoint)first.LocalEndPoint).Port;
        await using var second = await TestServers.StartAsync(
            Counting(served, 1), options => options.ReusePort = true, new IPEndPoint(IPAddress.Loopback, port));

        // 64 connections from 64 source ports: the kernel's hash puts them all on one listener with probability 2^-63.
        await using var client = new TcpClient();
        for (var i = 0; i < 64; i++)
        {
            await using var connection = await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
            await connection.SendAsync(new byte[] { (byte)i }, ct);
            await connection.Output.CompleteAsync();
            (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal((byte)i);
        }

        (served[0] + served[1]).Should().Be(64);
        served.Should().OnlyContain(count => count > 0, "the kernel spreads connections over both listeners");
    }

    [Fact]
    public async Task ReusePort_Off_SecondServerOnThePortFailsToBind()
    {
        await using var first = await TestServers.StartAsync(TestServers.EchoAsync);

        var start = () => TestServers.StartAsync(TestServers.EchoAsync, endPoint: first.LocalEndPoint);

        (await start.Should().ThrowAsync<TcpBindException>()).Which.SocketError.Should().Be(SocketError.AddressAlreadyInUse);
    }

    private static ConnectionHandler Counting(int[] served, int index) => (connection, cancellationToken) =>
    {
        Interlocked.Increment(ref served[index]);
        return TestServers.EchoAsync(connection, cancellationToken);
    };
}
