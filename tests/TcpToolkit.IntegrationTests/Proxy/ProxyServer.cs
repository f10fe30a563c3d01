using System.Net;
using System.Threading.Channels;
using TcpToolkit.Connections;
using TcpToolkit.Proxy;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Proxy;

/// <summary>
/// A TcpServer with the PROXY protocol on its one endpoint and an echo handler that reports what it saw; a server-wide
/// middleware outside it reports every connection's close reason (it reads nothing, so the PROXY middleware is still
/// the first to read the socket's bytes).
/// </summary>
internal sealed class ProxyServer : IAsyncDisposable
{
    private readonly TcpServer _server;

    private ProxyServer(ProxyProtocolOptions proxy, EndPoint endPoint)
    {
        var options = new TcpServerOptions();
        options.Middleware.Use(next => async (connection, cancellationToken) =>
        {
            connection.ConnectionClosed.Register(() => Closed.Writer.TryWrite(connection.CloseReason));
            await next(connection, cancellationToken);
        });
        options.Listen(endPoint, endpoint => endpoint.UseProxyProtocol(proxy));
        _server = new TcpServer(options, async (connection, stopping) =>
        {
            Handled.Writer.TryWrite(new Seen(connection.RemoteEndPoint, connection.LocalEndPoint, connection.GetFeature<ProxyProtocolHeader>()));
            await TestServers.EchoAsync(connection, stopping);
        });
    }

    /// <summary>Gets what the handler saw, one entry per connection it served.</summary>
    public Channel<Seen> Handled { get; } = Channel.CreateUnbounded<Seen>();

    /// <summary>Gets every connection's close reason, in the order they closed.</summary>
    public Channel<CloseReason> Closed { get; } = Channel.CreateUnbounded<CloseReason>();

    public EndPoint LocalEndPoint => _server.LocalEndPoint;

    public static async Task<ProxyServer> StartAsync(ProxyProtocolOptions proxy, EndPoint? endPoint = null)
    {
        var server = new ProxyServer(proxy, endPoint ?? new IPEndPoint(IPAddress.Loopback, 0));
        await server._server.StartAsync(TestContext.Current.CancellationToken);
        return server;
    }

    /// <summary>Waits for a connection to close with <paramref name="reason"/>, skipping other closes.</summary>
    public async Task WaitForCloseAsync(CloseReason reason, CancellationToken cancellationToken)
    {
        while (await Closed.Reader.ReadAsync(cancellationToken) != reason)
        {
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    internal sealed record Seen(EndPoint? RemoteEndPoint, EndPoint? LocalEndPoint, ProxyProtocolHeader? Header);
}
