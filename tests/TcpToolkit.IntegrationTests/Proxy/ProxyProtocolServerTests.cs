using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TcpToolkit.Connections;
using TcpToolkit.Proxy;
using TcpToolkit.Transport;
using Socket = System.Net.Sockets.Socket;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Proxy;

/// <summary>
/// The PROXY protocol middleware on real loopback sockets: a raw socket plays the load balancer (v1 and v2 headers,
/// then data), refusals (no header, too slow, untrusted) close only their connection, LOCAL keeps the socket's
/// addresses, and a TcpClient with the client middleware round-trips the addresses.
/// </summary>
public sealed class ProxyProtocolServerTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("198.51.100.7"), 61000);
    private static readonly IPEndPoint Destination = new(IPAddress.Parse("203.0.113.1"), 443);

    [Fact]
    public async Task RawSocket_V1HeaderThenData_HandlerSeesTheHeadersSourceAndEchoesTheData()
    {
        var ct = TestServers.Timeout();
        await using var server = await ProxyServer.StartAsync(new ProxyProtocolOptions());
        using var socket = await ConnectAsync(server.LocalEndPoint, ct);

        var echoed = await SendAndReadToEndAsync(socket, [.. "PROXY TCP4 198.51.100.7 203.0.113.1 61000 443\r\n"u8, .. "hello"u8], ct);

        echoed.Should().Equal("hello"u8.ToArray(), "the bytes after the header reach the handler, and only they");
        var seen = await server.Handled.Reader.ReadAsync(ct);
        seen.RemoteEndPoint.Should().Be(Client);
        seen.LocalEndPoint.Should().Be(Destination);
        seen.Header!.Version.Should().Be(1);
        seen.Header.ProxyEndPoint.Should().Be(socket.LocalEndPoint, "the proxy is the socket the header came from");
    }

    [Fact]
    public async Task RawSocket_V2HeaderWithTlvsThenData_HandlerSeesTheSourceTheTlvsAndEchoesTheData()
    {
        var ct = TestServers.Timeout();
        await using var server = await ProxyServer.StartAsync(new ProxyProtocolOptions());
        using var socket = await ConnectAsync(server.LocalEndPoint, ct);
        var header = new ArrayBufferWriter<byte>();
        var source = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 50123);
        var destination = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 8443);
        ProxyProtocolHeader.WriteV2(
            header,
            source,
            destination,
            [new ProxyProtocolTlv(0x02, Encoding.ASCII.GetBytes("api.example")), new ProxyProtocolTlv(0xEA, (byte[])[0x01, .. "vpce-42"u8])],
            includeChecksum: true);

        var echoed = await SendAndReadToEndAsync(socket, [.. header.WrittenSpan, .. "binary header, then data"u8], ct);

        echoed.Should().Equal("binary header, then data"u8.ToArray());
        var seen = await server.Handled.Reader.ReadAsync(ct);
        seen.RemoteEndPoint.Should().Be(source);
        seen.LocalEndPoint.Should().Be(destination);
        seen.Header!.Authority.Should().Be("api.example");
        seen.Header.AwsVpcEndpointId.Should().Be("vpce-42");
    }

    [Fact]
    public async Task RawSocket_PlainDataWithoutAHeader_RefusedAndTheHandlerNeverRuns()
    {
        var ct = TestServers.Timeout();
        var proxy = new ProxyProtocolOptions();
        await using var server = await ProxyServer.StartAsync(proxy);
        using var socket = await ConnectAsync(server.LocalEndPoint, ct);

        var echoed = await SendAndReadToEndAsync(socket, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), ct);

        await server.WaitForCloseAsync(CloseReason.MiddlewareError, ct);
        echoed.Should().BeEmpty();
        proxy.GetRejectedConnectionCount(ProxyProtocolError.MissingHeader).Should().Be(1);
        server.Handled.Reader.TryRead(out _).Should().BeFalse("the handler never runs for a refused connection");
    }

    [Fact]
    public async Task RawSocket_HeaderTooSlow_RefusedWhileAnotherConnectionIsServed()
    {
        var ct = TestServers.Timeout();
        var time = new ObservableTimeProvider();
        var proxy = new ProxyProtocolOptions { TimeProvider = time, HeaderTimeout = TimeSpan.FromSeconds(5) };
        await using var server = await ProxyServer.StartAsync(proxy);

        // The slow one sends a third of its header, and the middleware arms its timeout.
        using var slow = await ConnectAsync(server.LocalEndPoint, ct);
        await slow.SendAsync("PROXY TCP4 198.51"u8.ToArray(), ct);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(5), ct);

        // Meanwhile another connection is served from start to end.
        using var fast = await ConnectAsync(server.LocalEndPoint, ct);
        var echoed = await SendAndReadToEndAsync(fast, [.. "PROXY TCP4 198.51.100.7 203.0.113.1 61000 443\r\n"u8, .. "served"u8], ct);
        echoed.Should().Equal("served"u8.ToArray());
        (await server.Handled.Reader.ReadAsync(ct)).RemoteEndPoint.Should().Be(Client);

        time.Fake.Advance(TimeSpan.FromSeconds(5));

        await server.WaitForCloseAsync(CloseReason.MiddlewareError, ct);
        proxy.GetRejectedConnectionCount(ProxyProtocolError.Timeout).Should().Be(1);
        proxy.RejectedConnectionCount.Should().Be(1, "the fast connection was not refused");
        (await ReadUntilClosedAsync(slow, ct)).Should().BeEmpty();
        server.Handled.Reader.TryRead(out _).Should().BeFalse("the slow connection's handler never ran");
    }

    [Fact]
    public async Task RawSocket_SourceNotATrustedProxy_RefusedBeforeReadingAndCounted()
    {
        var ct = TestServers.Timeout();
        var proxy = new ProxyProtocolOptions();
        proxy.TrustedProxies.Clear();
        proxy.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8"));
        await using var server = await ProxyServer.StartAsync(proxy);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        // Nothing is sent: 127.0.0.1 is refused for what it is, not for what it says. The server resets the connection
        // as soon as it accepts it, which can beat the completion of the client's own connect.
        try
        {
            await socket.ConnectAsync(server.LocalEndPoint, ct);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Refused before the connect completed on this side.
        }

        await server.WaitForCloseAsync(CloseReason.MiddlewareError, ct);
        proxy.GetRejectedConnectionCount(ProxyProtocolError.Untrusted).Should().Be(1);
        proxy.RejectedConnectionCount.Should().Be(1);
        server.Handled.Reader.TryRead(out _).Should().BeFalse();
    }

    [Fact]
    public async Task RawSocket_LocalCommand_AcceptedWithTheSocketsAddresses()
    {
        var ct = TestServers.Timeout();
        await using var server = await ProxyServer.StartAsync(new ProxyProtocolOptions());
        using var socket = await ConnectAsync(server.LocalEndPoint, ct);
        var local = new ArrayBufferWriter<byte>();
        ProxyProtocolHeader.WriteV2(local, null, null);

        var echoed = await SendAndReadToEndAsync(socket, [.. local.WrittenSpan, .. "health"u8], ct);

        echoed.Should().Equal("health"u8.ToArray());
        var seen = await server.Handled.Reader.ReadAsync(ct);
        seen.Header!.IsLocal.Should().BeTrue();
        seen.RemoteEndPoint.Should().Be(socket.LocalEndPoint);
        seen.LocalEndPoint.Should().Be(server.LocalEndPoint);
    }

    [Fact]
    public async Task RawSocket_DualModeListenerAndIPv4Proxy_MappedLoopbackIsTrusted()
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6, "IPv6 is not available on this machine, so dual-mode cannot be tested.");
        var ct = TestServers.Timeout();
        await using var server = await ProxyServer.StartAsync(new ProxyProtocolOptions(), new IPEndPoint(IPAddress.IPv6Any, 0));
        using var socket = await ConnectAsync(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)server.LocalEndPoint).Port), ct);

        var echoed = await SendAndReadToEndAsync(socket, [.. "PROXY TCP4 198.51.100.7 203.0.113.1 61000 443\r\n"u8, .. "v4"u8], ct);

        echoed.Should().Equal("v4"u8.ToArray());
        var seen = await server.Handled.Reader.ReadAsync(ct);
        seen.RemoteEndPoint.Should().Be(Client);
        ((IPEndPoint)seen.Header!.ProxyEndPoint!).Address.IsIPv4MappedToIPv6.Should().BeTrue("the socket's peer is ::ffff:127.0.0.1, matched as 127.0.0.1");
    }

    [Fact]
    public async Task UnixSocket_TrustedUnixPeers_HeaderAcceptedOverAUnixDomainSocket()
    {
        var ct = TestServers.Timeout();
        var path = Path.Combine(Path.GetTempPath(), $"tcptk-proxy-{Guid.NewGuid():N}.sock");
        try
        {
            await using var server = await ProxyServer.StartAsync(new ProxyProtocolOptions { TrustUnixDomainSocketPeers = true }, new UnixDomainSocketEndPoint(path));
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);

            var echoed = await SendAndReadToEndAsync(socket, [.. "PROXY TCP4 198.51.100.7 203.0.113.1 61000 443\r\n"u8, .. "unix"u8], ct);

            echoed.Should().Equal("unix"u8.ToArray());
            (await server.Handled.Reader.ReadAsync(ct)).RemoteEndPoint.Should().Be(Client);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task TcpClient_HeaderMiddlewareWithAddresses_ServerSeesThemAndTheEchoComesBack(int version)
    {
        var ct = TestServers.Timeout();
        await using var server = await ProxyServer.StartAsync(new ProxyProtocolOptions());
        var clientOptions = new TcpClientOptions();
        clientOptions.Middleware.UseProxyProtocolHeader(version, Client, Destination);
        await using var client = new TcpClient(clientOptions);

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await connection.SendAsync("round trip"u8.ToArray(), ct);
        await connection.Output.CompleteAsync();

        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("round trip"u8.ToArray());
        var seen = await server.Handled.Reader.ReadAsync(ct);
        seen.RemoteEndPoint.Should().Be(Client);
        seen.LocalEndPoint.Should().Be(Destination);
        seen.Header!.Version.Should().Be(version);
    }

    [Fact]
    public async Task TcpClient_HeaderMiddlewareWithDefaults_ServerSeesTheClientsOwnEndPoints()
    {
        var ct = TestServers.Timeout();
        await using var server = await ProxyServer.StartAsync(new ProxyProtocolOptions());
        var clientOptions = new TcpClientOptions();
        clientOptions.Middleware.UseProxyProtocolHeader();
        await using var client = new TcpClient(clientOptions);

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await connection.SendAsync("x"u8.ToArray(), ct);
        await connection.Output.CompleteAsync();

        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("x"u8.ToArray());
        var seen = await server.Handled.Reader.ReadAsync(ct);
        seen.RemoteEndPoint.Should().Be(connection.LocalEndPoint);
        seen.LocalEndPoint.Should().Be(connection.RemoteEndPoint);
        seen.Header!.Version.Should().Be(2);
        seen.Header.ProxyEndPoint.Should().Be(connection.LocalEndPoint);
    }

    private static async Task<Socket> ConnectAsync(EndPoint endPoint, CancellationToken ct)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends everything at once (as a proxy sends its header with the first bytes), half-closes, reads until the server closes.</summary>
    private static async Task<byte[]> SendAndReadToEndAsync(Socket socket, byte[] data, CancellationToken ct)
    {
        await socket.SendAsync(data, ct);
        socket.Shutdown(SocketShutdown.Send);
        return await ReadUntilClosedAsync(socket, ct);
    }

    /// <summary>Reads until EOF or a reset (a refused connection is aborted): what came back before the end.</summary>
    private static async Task<byte[]> ReadUntilClosedAsync(Socket socket, CancellationToken ct)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, ct).AsTask().WaitAsync(TestTimeouts.Default, ct)) > 0)
            {
                all.Write(buffer, 0, read);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The server aborted: the peer's view of a refusal.
        }

        return all.ToArray();
    }
}
