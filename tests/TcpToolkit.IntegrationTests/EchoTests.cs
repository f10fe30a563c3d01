using System.Net;
using System.Net.Sockets;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests;

public sealed class EchoTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(1_000)]
    [InlineData(65_536)]
    [InlineData(1_048_577)]
    [InlineData(4 * 1024 * 1024)]
    public async Task Echo_PayloadOfSize_ComesBackIdentical(int size)
    {
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync);
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var payload = TestServers.RandomBytes(size, seed: size);

        // Send and receive at once: a 4 MiB echo would deadlock a client that sends everything before reading.
        var send = Task.Run(
            async () =>
            {
                await connection.SendAsync(payload, ct);
                await connection.Output.CompleteAsync();
            },
            ct);
        var echoed = await TestServers.ReadToEndAsync(connection, ct);
        await send;

        echoed.Should().Equal(payload);
    }

    [Fact]
    public async Task Echo_200ConcurrentConnections_EachGetsItsOwnBytes()
    {
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync);
        await using var client = new TcpClient();

        var clients = Enumerable.Range(0, 200).Select(async i =>
        {
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            var payload = TestServers.RandomBytes(1 + (i * 97 % 8192), seed: i);
            await connection.SendAsync(payload, ct);
            await connection.Output.CompleteAsync();
            var echoed = await TestServers.ReadToEndAsync(connection, ct);
            echoed.Should().Equal(payload, $"connection {i} must get its own bytes back");
        });
        await Task.WhenAll(clients);

        server.RejectedConnectionCount.Should().Be(0);
    }

    [Fact]
    public async Task Echo_OverIPv6Loopback_Works()
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6, "IPv6 is not available on this machine, so [::1] cannot be tested.");
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, endPoint: new IPEndPoint(IPAddress.IPv6Loopback, 0));
        await using var client = new TcpClient();

        await using var connection = await client.ConnectAsync("::1", ((IPEndPoint)server.LocalEndPoint).Port, ct);
        await connection.SendAsync("over v6"u8.ToArray(), ct);
        await connection.Output.CompleteAsync();

        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("over v6"u8.ToArray());
        connection.RemoteEndPoint.Should().BeOfType<IPEndPoint>().Which.AddressFamily.Should().Be(AddressFamily.InterNetworkV6);
    }

    [Fact]
    public async Task Echo_DualModeIPv6Any_AcceptsIPv4Clients()
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6, "IPv6 is not available on this machine, so dual-mode cannot be tested.");
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, endPoint: new IPEndPoint(IPAddress.IPv6Any, 0));
        await using var client = new TcpClient();

        await using var connection = await client.ConnectAsync("127.0.0.1", ((IPEndPoint)server.LocalEndPoint).Port, ct);
        await connection.SendAsync("v4 into v6"u8.ToArray(), ct);
        await connection.Output.CompleteAsync();

        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("v4 into v6"u8.ToArray());
    }

    [Fact]
    public async Task Echo_OverUnixDomainSocket_Works()
    {
        Assert.SkipUnless(Socket.OSSupportsUnixDomainSockets, "Unix domain sockets are not available on this machine.");
        var ct = TestServers.Timeout();
        var path = Path.Combine(Path.GetTempPath(), $"tcptk-{Guid.NewGuid():N}.sock");
        try
        {
            await using var server = await TestServers.StartAsync(TestServers.EchoAsync, endPoint: new UnixDomainSocketEndPoint(path));
            await using var client = new TcpClient();

            await using var connection = await client.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            var payload = TestServers.RandomBytes(100_000, seed: 7);
            await connection.SendAsync(payload, ct);
            await connection.Output.CompleteAsync();

            (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal(payload);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task StartAsync_Port0_LocalEndPointHasTheRealPort()
    {
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync);

        var endPoint = server.LocalEndPoint.Should().BeOfType<IPEndPoint>().Subject;
        endPoint.Port.Should().BePositive();
        endPoint.Address.Should().Be(IPAddress.Loopback);
        server.LocalEndPoints.Should().ContainSingle();
    }

    [Fact]
    public async Task StartAsync_SeveralEndPoints_ListensOnAll()
    {
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(
            TestServers.EchoAsync,
            options => options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var client = new TcpClient();

        server.LocalEndPoints.Should().HaveCount(2);
        foreach (var endPoint in server.LocalEndPoints)
        {
            await using var connection = await client.ConnectAsync(endPoint, ct);
            await connection.SendAsync("x"u8.ToArray(), ct);
            await connection.Output.CompleteAsync();
            (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("x"u8.ToArray());
        }
    }
}
