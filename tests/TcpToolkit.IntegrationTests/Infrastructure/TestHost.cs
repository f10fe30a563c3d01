using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.InMemory;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// A server on one <see cref="TestTransport"/>, running a handler: over sockets a <see cref="TcpServer"/> on loopback
/// port 0, in memory an <see cref="InMemoryServer"/>. It can stop (connects then fail, as to a closed port) and start
/// again (on the same port, or as a new in-memory server behind the same <see cref="ClientFactory"/>).
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    // What an in-memory client connects to: the endpoint is only a name (the in-memory server ignores it).
    private static readonly EndPoint s_inMemoryEndPoint = new DnsEndPoint("in-memory.test", 0);

    private readonly ConnectionHandler _handler;
    private readonly CurrentServerFactory? _inMemoryFactory;
    private TcpServer? _tcpServer;
    private InMemoryServer? _inMemoryServer;
    private TcpClient? _rawClient;

    private TestHost(TestTransport transport, ConnectionHandler handler)
    {
        Transport = transport;
        _handler = handler;
        EndPoint = s_inMemoryEndPoint;
        if (transport == TestTransport.InMemory)
        {
            _inMemoryFactory = new CurrentServerFactory(this);
        }
    }

    public TestTransport Transport { get; }

    /// <summary>Gets the endpoint clients connect to (the bound loopback endpoint over sockets).</summary>
    public EndPoint EndPoint { get; private set; }

    /// <summary>
    /// Gets the connection factory a client should use: <see langword="null"/> over sockets (the client opens TCP
    /// connections itself), the running in-memory server otherwise.
    /// </summary>
    public IConnectionFactory? ClientFactory => _inMemoryFactory;

    /// <summary>Gets the number of connections whose handler is running.</summary>
    public int ConnectionCount => _tcpServer?.ConnectionCount ?? _inMemoryServer?.ConnectionCount ?? 0;

    /// <summary>Gets what a connect to the stopped host throws: a refused TCP connect, or a stopped in-memory server.</summary>
    public Type ConnectFailureType => Transport == TestTransport.Sockets ? typeof(TcpConnectException) : typeof(ObjectDisposedException);

    public static async Task<TestHost> StartAsync(TestTransport transport, ConnectionHandler handler)
    {
        var host = new TestHost(transport, handler);
        await host.StartServerAsync();
        return host;
    }

    /// <summary>Opens a raw connection to the server (over sockets with a TcpClient the host disposes).</summary>
    public async ValueTask<Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Transport == TestTransport.Sockets)
        {
            _rawClient ??= new TcpClient();
            return await _rawClient.ConnectAsync(EndPoint, cancellationToken);
        }

        return await _inMemoryFactory!.ConnectAsync(EndPoint, cancellationToken);
    }

    /// <summary>Stops the server (its handlers' tokens fire); connects fail until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_tcpServer is not null)
        {
            await _tcpServer.DisposeAsync();
        }

        if (_inMemoryServer is not null)
        {
            await _inMemoryServer.DisposeAsync();
        }
    }

    /// <summary>Starts the server again: on the same port over sockets, a new in-memory server otherwise.</summary>
    public Task RestartAsync() => StartServerAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_rawClient is not null)
        {
            await _rawClient.DisposeAsync();
        }
    }

    private async Task StartServerAsync()
    {
        if (Transport == TestTransport.Sockets)
        {
            // A restart binds the port of the first start again.
            _tcpServer = await TestServers.StartAsync(_handler, endPoint: _tcpServer is null ? null : EndPoint);
            EndPoint = _tcpServer.LocalEndPoint;
        }
        else
        {
            _inMemoryServer = new InMemoryServer(_handler);
        }
    }

    /// <summary>Connects to whichever in-memory server runs now, so a client survives a "restart".</summary>
    private sealed class CurrentServerFactory(TestHost host) : IConnectionFactory
    {
        public ValueTask<Connection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
            => host._inMemoryServer!.ConnectAsync(cancellationToken);
    }
}
