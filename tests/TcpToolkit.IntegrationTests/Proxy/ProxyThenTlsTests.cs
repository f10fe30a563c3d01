using System.Net;
using TcpToolkit.IntegrationTests.Tls;
using TcpToolkit.Proxy;
using TcpToolkit.Tls;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Proxy;

/// <summary>
/// The PROXY header and TLS on one connection, in the order a load balancer in TCP mode produces: the header in the
/// clear first, then the TLS handshake (issue #12; SuperSocket parses it after TLS, which a balancer never sends).
/// </summary>
public sealed class ProxyThenTlsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ProxyHeaderThenTls_HandlerSeesTheOriginalClientAndTheTlsSession(int version)
    {
        var ct = TestServers.Timeout();
        var original = new IPEndPoint(IPAddress.Parse("198.51.100.23"), 40000 + version);
        var seen = new TaskCompletionSource<(EndPoint? Remote, ProxyProtocolHeader? Header, TlsConnectionInfo? Tls)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                seen.TrySetResult((connection.RemoteEndPoint, connection.GetFeature<ProxyProtocolHeader>(), connection.GetFeature<TlsConnectionInfo>()));
                await TestServers.EchoAsync(connection, stopping);
            },
            options => options.Middleware
                .UseProxyProtocol(new ProxyProtocolOptions())
                .UseTls(TlsTesting.ServerOptions()));

        var clientOptions = new TcpClientOptions();
        clientOptions.Middleware
            .UseProxyProtocolHeader(version, original, server.LocalEndPoint)
            .UseTls(TlsTesting.ClientOptions());
        await using var client = new TcpClient(clientOptions);
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var echo = await TlsTesting.EchoAsync(connection, "through proxy and tls"u8.ToArray(), ct);

        echo.Should().Equal("through proxy and tls"u8.ToArray());
        var (remote, header, tls) = await seen.Task.WaitAsync(ct);
        remote.Should().Be(original, "the PROXY header, read before the handshake, set the client's address");
        header!.Version.Should().Be(version);
        header.ProxyEndPoint.Should().BeOfType<IPEndPoint>().Which.Address.Should().Be(IPAddress.Loopback, "the proxy's own address stays available");
        tls.Should().NotBeNull("the TLS handshake ran after the header, on the same connection");
        tls!.HostName.Should().Be("localhost", "the client's SNI arrived through the TLS layer above the header");
    }
}
