using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics.Internal;
using TcpToolkit.Transport.Internal;
using Socket = System.Net.Sockets.Socket;

namespace TcpToolkit.Transport;

/// <summary>
/// Opens TCP connections (the guide's <c>connect</c> and <c>connect_ex</c>). Disposing the client aborts the
/// connections it opened that are still open.
/// </summary>
/// <example>
/// <code>
/// await using var client = new TcpClient();
/// await using var connection = await client.ConnectAsync("127.0.0.1", 65432);
/// await connection.SendAsync("Hello, world"u8.ToArray());
/// </code>
/// </example>
public sealed class TcpClient : IConnectionFactory, IAsyncDisposable
{
    private readonly TcpClientOptions _options;
    private readonly ConnectionHandler? _pipeline;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectionSettings _settings;
    private readonly ConcurrentDictionary<TcpConnection, byte> _connections = new();
    private readonly Action<TcpConnection> _onConnectionClosed;
    private readonly SideMetrics _metrics;
    private int _disposed;

    /// <summary>Creates a client.</summary>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults.</param>
    public TcpClient(TcpClientOptions? options = null)
    {
        _options = options ?? new TcpClientOptions();
        var metrics = TcpToolkitMetrics.For(_options.MeterFactory);
        metrics.AddPool(PinnedBlockMemoryPool.SharedClientPool, "client");
        _metrics = metrics.Client;
        _settings = new ConnectionSettings(
            PinnedBlockMemoryPool.SharedClientPool,
            _options.MaxReadBufferSize,
            _options.MaxWriteBufferSize,
            _options.CloseTimeout,
            _options.LoggerFactory.CreateLogger("TcpToolkit.TcpConnection"),
            _options.TimeProvider,
            _metrics,
            _options.RecordFrameSizes,
            useDotNetSocketEngine: _options.UseDotNetSocketEngine);
        _onConnectionClosed = connection => _connections.TryRemove(connection, out _);
        if (_options.Middleware.Count > 0)
        {
            _pipeline = _options.Middleware.Build(static (connection, _) => ((ClientPipelineEnd)connection.GetFeature<ClientPipelineEnd>()!).ReachedAsync(connection));
        }
    }

    /// <summary>Connects to <paramref name="remoteEndPoint"/> (IPv4, IPv6, a <see cref="DnsEndPoint"/> or a Unix domain socket).</summary>
    /// <param name="remoteEndPoint">Where to connect.</param>
    /// <param name="cancellationToken">Cancels the attempt (an <see cref="OperationCanceledException"/>, not a connect error).</param>
    /// <returns>The open connection; the caller owns it.</returns>
    /// <exception cref="TcpConnectException">The attempt failed or timed out; it names the endpoint and the <see cref="SocketError"/>.</exception>
    public async Task<TcpConnection> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        var result = await TryConnectAsync(remoteEndPoint, cancellationToken).ConfigureAwait(false);
        return result.Connection ?? throw new TcpConnectException(remoteEndPoint, result.SocketError);
    }

    /// <inheritdoc />
    async ValueTask<Connection> IConnectionFactory.ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
        => await ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/>; a DNS name is resolved and each address tried in turn.</summary>
    /// <param name="host">An IP address or a DNS name.</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The open connection; the caller owns it.</returns>
    /// <exception cref="TcpConnectException">The attempt failed or timed out.</exception>
    public Task<TcpConnection> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
        => ConnectAsync(ToEndPoint(host, port), cancellationToken);

    /// <summary>
    /// Tries to connect without throwing for network errors (the guide's <c>connect_ex</c>): the result carries the
    /// connection or the <see cref="SocketError"/>.
    /// </summary>
    /// <param name="remoteEndPoint">Where to connect.</param>
    /// <param name="cancellationToken">Cancels the attempt (this still throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The connection, or why there is none.</returns>
    public async Task<ConnectResult> TryConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();

        // The metrics' endpoint attributes (the target as asked for) are built only when an instrument wants them,
        // and the span only exists while someone listens (.NET's own "socket connect" span, see the README).
        var attempt = new ConnectAttempt(_metrics, remoteEndPoint, _options.TimeProvider);
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var addresses = await ResolveAsync(remoteEndPoint, linked.Token).ConfigureAwait(false);
            var lastError = SocketError.HostNotFound;
            foreach (var endPoint in addresses)
            {
                var socket = CreateSocket(endPoint);
                SocketIO io;
                TcpConnection connection;
                try
                {
                    io = await SocketIO.ConnectAsync(socket, endPoint, _settings, linked.Token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    lastError = ex.SocketErrorCode;
                    continue;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                try
                {
                    // Connected: from here a failure is not a connect error to try the next address with, and it
                    // must release the engine registration as well as the socket (Adopt releases the registration).
                    connection = Adopt(socket, io, attempt.Tags);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                attempt.Connected(endPoint);
                if (_pipeline is not null)
                {
                    // A middleware that fails aborts the connection (which releases the socket) and fails the connect.
                    await RunMiddlewareAsync(connection, linked.Token).ConfigureAwait(false);
                }

                return new ConnectResult(connection, SocketError.Success);
            }

            attempt.Failed(lastError);
            return new ConnectResult(null, lastError);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            attempt.Failed(SocketError.TimedOut);
            return new ConnectResult(null, SocketError.TimedOut);
        }
        catch (SocketException ex)
        {
            // DNS failures surface here.
            attempt.Failed(ex.SocketErrorCode);
            return new ConnectResult(null, ex.SocketErrorCode);
        }
        catch (Exception ex)
        {
            attempt.Failed(ex);
            throw;
        }
        finally
        {
            attempt.Dispose();
        }
    }

    /// <summary>Tries to connect to <paramref name="host"/>:<paramref name="port"/> without throwing for network errors.</summary>
    /// <param name="host">An IP address or a DNS name.</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The connection, or why there is none.</returns>
    public Task<ConnectResult> TryConnectAsync(string host, int port, CancellationToken cancellationToken = default)
        => TryConnectAsync(ToEndPoint(host, port), cancellationToken);

    /// <summary>Aborts every connection this client opened that is still open. Idempotent.</summary>
    /// <returns>A task that completes when they are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var connection in _connections.Keys)
        {
            connection.Abort(CloseReason.LocalAbort, "The TcpClient that opened the connection was disposed.");
            await connection.WaitForTransportAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs the client middleware in the background (Bedrock's client pipeline): the connection is handed back to the
    /// caller when the pipeline reaches its end, and the pipeline unwinds when the connection closes.
    /// </summary>
    private async Task RunMiddlewareAsync(TcpConnection connection, CancellationToken cancellationToken)
    {
        var end = new ClientPipelineEnd();
        connection.SetFeature(end);
        var run = RunPipelineAsync(connection, end);
        try
        {
            await end.Reached.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            connection.Abort(CloseReason.MiddlewareError, "A client middleware failed: " + ex.Message);
            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        finally
        {
            connection.SetFeature<ClientPipelineEnd>(null);
        }
    }

    private async Task RunPipelineAsync(TcpConnection connection, ClientPipelineEnd end)
    {
        // As on a server: what the client middleware logs (the TLS handshake) names the connection.
        var logger = _settings.Logger;
        using var scope = logger.IsEnabled(LogLevel.Critical) ? logger.BeginScope(new ConnectionLogScope(connection.Id)) : null;
        try
        {
            await _pipeline!(connection, _stopping.Token).ConfigureAwait(false);
            end.Fail(new InvalidOperationException("A client middleware returned without calling the next one."));
        }
        catch (Exception ex)
        {
            if (!end.Fail(ex))
            {
                // After the caller got the connection: a failing layer ends it.
                connection.Abort(CloseReason.MiddlewareError, "A client middleware failed: " + ex.Message);
            }
        }
    }

    private static EndPoint ToEndPoint(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        return IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
    }

    private static async Task<IEnumerable<EndPoint>> ResolveAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        if (endPoint is not DnsEndPoint dns)
        {
            return [endPoint];
        }

        var addresses = await Dns.GetHostAddressesAsync(dns.Host, dns.AddressFamily, cancellationToken).ConfigureAwait(false);
        return addresses.Select(a => (EndPoint)new IPEndPoint(a, dns.Port));
    }

    internal Socket CreateSocket(EndPoint endPoint)
    {
        if (endPoint is UnixDomainSocketEndPoint)
        {
            return new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = _options.NoDelay };
        if (_options.KeepAliveTime is { } time)
        {
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, WholeSeconds(time));
                if (_options.KeepAliveInterval is { } interval)
                {
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, WholeSeconds(interval));
                }

                if (_options.KeepAliveRetryCount is { } count)
                {
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, count);
                }
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        return socket;
    }

    // The OS takes whole seconds; round up so a sub-second setting never becomes 0 (which Linux rejects).
    private static int WholeSeconds(TimeSpan value) => (int)Math.Min(int.MaxValue, Math.Ceiling(value.TotalSeconds));

    private TcpConnection Adopt(Socket socket, SocketIO io, KeyValuePair<string, object?>[] tags)
    {
        var connection = ConnectionSetup.Create(socket, _settings, tags, _onConnectionClosed, io);
        _connections[connection] = 0;
        if (connection.ConnectionClosed.IsCancellationRequested)
        {
            _connections.TryRemove(connection, out _);
        }

        return connection;
    }

    /// <summary>The end of a client pipeline: tells the connecting caller it was reached, then waits for the close.</summary>
    private sealed class ClientPipelineEnd
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public bool Fail(Exception exception) => _reached.TrySetException(exception);

        public Task ReachedAsync(Connection connection)
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.ConnectionClosed.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), closed);
            _reached.TrySetResult();
            return closed.Task;
        }
    }
}
