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
/// A TCP server: listens on one or more endpoints and runs a handler for each connection.
/// </summary>
/// <example>
/// <code>
/// var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 65432) } };
/// await using var server = new TcpServer(options, async (connection, stopping) =>
/// {
///     var buffer = new byte[1024];
///     int read;
///     while ((read = await connection.ReceiveAsync(buffer, stopping)) > 0)
///     {
///         await connection.SendAsync(buffer.AsMemory(0, read), stopping);
///     }
/// });
/// await server.StartAsync();
/// </code>
/// </example>
public sealed class TcpServer : IAsyncDisposable
{
    private readonly TcpServerOptions _options;
    private readonly ConnectionHandler _handler;
    private readonly ILogger _logger;
    private readonly PinnedBlockMemoryPool _memoryPool;
    private readonly ConnectionSettings _settings;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly ConcurrentDictionary<TcpConnection, Task> _connections = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly List<ConnectionHandler> _pipelines = [];
    private readonly List<KeyValuePair<string, object?>[]> _listenerTags = [];
    private readonly TcpToolkitMetrics _metrics;
    private readonly Lock _stateLock = new();
    private readonly Action<TcpConnection> _onConnectionClosed;
    private System.Collections.ObjectModel.ReadOnlyCollection<EndPoint> _localEndPoints = new([]);
    private Exception? _acceptLoopFault;
    private Task<ServerStopResult>? _stopTask;
    private int _connectionCount;
    private long _rejectedConnectionCount;
    private int _state; // 0 new, 1 starting/started, 2 stopping/stopped
    private ITimer? _heartbeat;
    private int _heartbeatRunning;

    /// <summary>Creates a server. Nothing is bound until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The settings; read at construction.</param>
    /// <param name="handler">
    /// Runs once per connection, inside the connection middleware (<see cref="TcpConnectionOptions.Middleware"/> and
    /// the endpoint's, see <see cref="TcpServerOptions.Listen"/>). Its token fires when the server stops; the
    /// connection is closed gracefully when it returns, with <see cref="CloseReason.ProtocolError"/> if it throws a
    /// <see cref="ProtocolException"/> (the peer's fault), and aborted with <see cref="CloseReason.HandlerFault"/> if it
    /// throws anything else (logged; other connections are not affected). It may block: on TcpToolkit's epoll loops a
    /// callback that holds its thread for about 10 ms gets its loop handed to a new thread (a warning is logged), so
    /// other connections are not held up; long blocking or CPU-bound work is still better off the I/O thread.
    /// </param>
    public TcpServer(TcpServerOptions options, ConnectionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        _options = options;
        _handler = handler;
        _logger = options.LoggerFactory.CreateLogger("TcpToolkit.TcpServer");
        _memoryPool = new PinnedBlockMemoryPool(options.TimeProvider);
        _metrics = TcpToolkitMetrics.For(options.MeterFactory);
        _metrics.AddPool(_memoryPool, "server");
        _settings = new ConnectionSettings(
            _memoryPool,
            options.MaxReadBufferSize,
            options.MaxWriteBufferSize,
            options.CloseTimeout,
            options.LoggerFactory.CreateLogger("TcpToolkit.TcpConnection"),
            options.TimeProvider,
            _metrics.Server,
            options.RecordFrameSizes,
            new ConnectionTimeouts(options.IdleTimeout, options.FirstByteTimeout, options.MinReceiveDataRate, options.WriteTimeout),
            options.UseDotNetSocketEngine);
        _onConnectionClosed = _ => Interlocked.Decrement(ref _connectionCount);
    }

    /// <summary>Gets the endpoints the server listens on, with real ports (after binding to port 0). Empty before start.</summary>
    public IReadOnlyList<EndPoint> LocalEndPoints => _localEndPoints;

    /// <summary>Gets the first endpoint the server listens on.</summary>
    /// <exception cref="InvalidOperationException">The server has not started.</exception>
    public EndPoint LocalEndPoint => _localEndPoints.Count > 0
        ? _localEndPoints[0]
        : throw new InvalidOperationException("The server has not been started.");

    /// <summary>Gets the bytes of pooled buffer blocks the server's connections hold now (for tests and diagnostics).</summary>
    internal long BufferBytesInUse => _memoryPool.BytesInUse;

    /// <summary>Gets the number of open connections (a connection's slot is free once its <see cref="TcpConnection.ConnectionClosed"/> fires).</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Gets how many connections were closed at once because <see cref="TcpServerOptions.MaxConnections"/> were open.</summary>
    public long RejectedConnectionCount => Interlocked.Read(ref _rejectedConnectionCount);

    /// <summary>
    /// Gets the exception that ended an accept loop while the server ran (that endpoint no longer accepts; logged as
    /// Critical, and <see cref="StopAsync"/> throws it as the inner exception), or <see langword="null"/> while every
    /// endpoint accepts: what a health check looks at.
    /// </summary>
    public Exception? AcceptLoopFault => Volatile.Read(ref _acceptLoopFault);

    /// <summary>
    /// Binds every endpoint and starts accepting. Either every endpoint is bound or none: on a failure the ones
    /// already bound are released and a <see cref="TcpBindException"/> names the endpoint that failed.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server is listening.</returns>
    /// <exception cref="TcpBindException">An endpoint could not be bound.</exception>
    /// <exception cref="InvalidOperationException">No endpoint is configured, or the server was already started.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_options.EndPoints.Count == 0)
        {
            throw new InvalidOperationException("TcpServerOptions.EndPoints is empty: configure at least one endpoint.");
        }

        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            ObjectDisposedException.ThrowIf(_state == 2, this);
            throw new InvalidOperationException("The server has already been started.");
        }

        var bound = new List<EndPoint>(_options.EndPoints.Count);
        try
        {
            foreach (var endPoint in _options.EndPoints)
            {
                var listener = Bind(endPoint);
                _listeners.Add(listener);
                bound.Add(listener.LocalEndPoint!);
                _listenerTags.Add(TelemetryTags.Of(listener.LocalEndPoint));

                // Server-wide middleware outermost, then the endpoint's, then the handler.
                var inner = _options.EndPointMiddleware.TryGetValue(endPoint, out var endPointMiddleware)
                    ? endPointMiddleware.Build(_handler)
                    : _handler;
                _pipelines.Add(_options.Middleware.Build(inner));
            }
        }
        catch
        {
            // All or nothing: release what was bound before the failure, then report it.
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }

            _listeners.Clear();
            _pipelines.Clear();
            _listenerTags.Clear();
            Volatile.Write(ref _state, 0);
            throw;
        }

        _localEndPoints = bound.AsReadOnly();
        if (_settings.Timeouts is { Any: true } timeouts)
        {
            // One heartbeat walks every connection (Kestrel's Heartbeat); no timer per connection.
            var interval = timeouts.HeartbeatInterval;
            _heartbeat = _options.TimeProvider.CreateTimer(static state => ((TcpServer)state!).OnHeartbeat(), this, interval, interval);
        }

        for (var i = 0; i < _listeners.Count; i++)
        {
            ServerLog.Listening(_logger, _listeners[i].LocalEndPoint!.ToString()!);
            _acceptLoops.Add(AcceptLoopAsync(_listeners[i], _pipelines[i], _listenerTags[i]));
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops the server: stops accepting, signals every handler through its token, waits for them up to
    /// <see cref="TcpServerOptions.ShutdownTimeout"/> or <paramref name="cancellationToken"/>, aborts the rest, and
    /// reports what happened. Every wait is bounded. Calling it again returns the same result.
    /// </summary>
    /// <param name="cancellationToken">Ends the graceful wait early; the remaining connections are aborted.</param>
    /// <returns>How many connections were drained and how many aborted.</returns>
    /// <exception cref="IOException">An accept loop had died; the exception is the inner exception.</exception>
    public Task<ServerStopResult> StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stateLock)
        {
            _stopTask ??= StopCoreAsync(cancellationToken);
            return _stopTask;
        }
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>) if it is running. Idempotent; never throws for an accept-loop fault.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Already logged as Critical when the accept loop died; disposal must not throw.
        }

        _stopping.Dispose();
        _stopAccepting.Dispose();
        _metrics.RemovePool(_memoryPool);
        _memoryPool.Dispose();
    }

    private static SocketError ErrorOf(Exception exception) => exception is SocketException se ? se.SocketErrorCode : SocketError.SocketError;

    private Socket Bind(EndPoint endPoint)
    {
        var isUnix = endPoint is UnixDomainSocketEndPoint;
        if (_options.ReusePort && !isUnix)
        {
            ReusePort.ThrowIfUnsupported();
        }

        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, isUnix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (endPoint is IPEndPoint ip && ip.Address.Equals(IPAddress.IPv6Any))
            {
                // [::] accepts IPv4 too (as ::ffff:a.b.c.d), like Kestrel's "any" address.
                listener.DualMode = true;
            }

            if (_options.ReusePort && !isUnix)
            {
                ReusePort.Enable(listener);
            }

            listener.Bind(endPoint);
            listener.Listen(_options.Backlog);
            return listener;
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new TcpBindException(endPoint, ex.SocketErrorCode, ex);
        }
    }

    private async Task AcceptLoopAsync(Socket listener, ConnectionHandler pipeline, KeyValuePair<string, object?>[] tags)
    {
        var name = listener.LocalEndPoint!.ToString()!;
        try
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptAsync(_stopAccepting.Token).ConfigureAwait(false);
                }
                catch (SocketException ex) when (IsTransientAcceptError(ex.SocketErrorCode))
                {
                    // A client that reset while still in the backlog, or a passing resource shortage: keep serving.
                    ServerLog.AcceptFailed(_logger, name, ex.SocketErrorCode);
                    if (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                    {
                        // Out of descriptors: accepting again at once would spin; give closing connections a moment.
                        await Task.Delay(TimeSpan.FromMilliseconds(50), _options.TimeProvider, _stopAccepting.Token).ConfigureAwait(false);
                    }

                    continue;
                }

                Accept(socket, pipeline, tags);
            }
        }
        catch (Exception) when (_stopAccepting.IsCancellationRequested)
        {
            // StopAsync closed the listener: the normal end of the loop.
        }
        catch (Exception ex)
        {
            // Never a silent hang (Kestrel's REVIEW note): log Critical and make StopAsync report it. Recorded before
            // it is logged, so whoever sees the event (a monitor, a test) finds AcceptLoopFault set.
            Interlocked.CompareExchange(ref _acceptLoopFault, ex, null);
            ServerLog.AcceptLoopDied(_logger, name, ex);
        }
    }

    private void OnHeartbeat()
    {
        // A slow tick must not overlap the next one.
        if (Interlocked.Exchange(ref _heartbeatRunning, 1) != 0)
        {
            return;
        }

        try
        {
            var now = _options.TimeProvider.GetTimestamp();
            foreach (var connection in _connections.Keys)
            {
                connection.OnHeartbeat(now);
            }
        }
        finally
        {
            Volatile.Write(ref _heartbeatRunning, 0);
        }
    }

    private static bool IsTransientAcceptError(SocketError error) => error is
        SocketError.ConnectionReset or
        SocketError.ConnectionAborted or
        SocketError.TooManyOpenSockets or
        SocketError.NoBufferSpaceAvailable or
        SocketError.Interrupted;

    private void Accept(Socket socket, ConnectionHandler pipeline, KeyValuePair<string, object?>[] tags)
    {
        var max = _options.MaxConnections;
        if (max is { } limit && !TryReserveConnection(limit))
        {
            Interlocked.Increment(ref _rejectedConnectionCount);
            _settings.Metrics.Rejected(tags, ErrorTypes.Of(CloseReason.ConnectionLimit));
            var remote = TryGetRemoteEndPoint(socket);
            socket.Dispose();
            ServerLog.ConnectionRejected(_logger, remote, limit);
            return;
        }

        if (max is null)
        {
            Interlocked.Increment(ref _connectionCount);
        }

        TcpConnection connection;
        try
        {
            if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                socket.NoDelay = _options.NoDelay;
            }

            connection = ConnectionSetup.Create(socket, _settings, tags, _onConnectionClosed);
        }
        catch (Exception ex)
        {
            // One connection's setup failed (epoll_ctl out of memory, a socket reset before setsockopt, ...): drop
            // that connection and keep accepting; the accept loop must not die of it.
            // The slot and the socket are given back before the event is logged: whoever sees the event (a
            // monitor, a test) sees a server that has already recovered.
            var remote = TryGetRemoteEndPoint(socket);
            socket.Dispose();
            Interlocked.Decrement(ref _connectionCount);
            ServerLog.ConnectionSetupFailed(_logger, remote, ex);
            return;
        }

        // The connection is in the set before its handler can end (and remove it); the handler's own task replaces
        // the placeholder unless it has ended already. StopAsync reads the set only after the accept loops ended, so
        // it never sees a placeholder. No gate object per connection (issue #17's idle budget).
        _connections[connection] = Task.CompletedTask;
        var run = RunConnectionAsync(connection, pipeline);
        _connections.TryUpdate(connection, run, Task.CompletedTask);
    }

    private static string? TryGetRemoteEndPoint(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // A peer that reset before setup has no address left to report.
            return null;
        }
    }

    private bool TryReserveConnection(int limit)
    {
        // Lock-free reservation (Kestrel's ResourceCounter.TryLockOne).
        while (true)
        {
            var current = Volatile.Read(ref _connectionCount);
            if (current >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _connectionCount, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    private async Task RunConnectionAsync(TcpConnection connection, ConnectionHandler pipeline)
    {
        // Kestrel's ConnectionId scope: what the middleware and the handler log names the connection. Skipped (no
        // allocation) when the logger factory logs nothing at all.
        using var scope = _logger.IsEnabled(LogLevel.Critical) ? _logger.BeginScope(new ConnectionLogScope(connection.Id)) : null;
        try
        {
            // Yield so the accept loop goes on while this handler starts.
            await Task.Yield();
            await pipeline(connection, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException)
        {
            ServerLog.HandlerEndedByTransport(_logger, connection.Id, ex.Message);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The handler honoured the stop signal.
        }
        catch (ProtocolException ex)
        {
            // The peer's bytes broke the protocol: its fault, not the handler's. Only this connection closes.
            ServerLog.ProtocolError(_logger, connection.Id, ex.GetType().Name, ex.Message);
            connection.Abort(CloseReason.ProtocolError, ex.Message);
        }
        catch (Exception ex)
        {
            ServerLog.HandlerFaulted(_logger, connection.Id, ex);
            connection.Abort(CloseReason.HandlerFault, "The connection's handler threw " + ex.GetType().Name + ".");
        }

        try
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    private async Task<ServerStopResult> StopCoreAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) == 0)
        {
            return default;
        }

        ServerLog.Stopping(_logger, ConnectionCount);

        // 1. Stop accepting; after this the set of connections is final.
        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        var pending = _connections.ToArray();

        // 2. Signal every handler through its token.
        await _stopping.CancelAsync().ConfigureAwait(false);

        // 3. Wait for them, bounded.
        var all = Task.WhenAll(pending.Select(p => p.Value));
        using (var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            await all.WaitAsync(linked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // 4. Abort the rest.
        var aborted = 0;
        foreach (var (connection, task) in pending)
        {
            if (!task.IsCompleted)
            {
                aborted++;
                connection.Abort(CloseReason.ServerShutdown, "The server is stopping and the handler did not finish in time.");
            }
        }

        if (aborted > 0)
        {
            // Aborted handlers fail their next I/O at once; one that ignores everything is not waited for forever.
            using var grace = new CancellationTokenSource(_options.ShutdownTimeout, _options.TimeProvider);
            await all.WaitAsync(grace.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var stuck = pending.Count(p => !p.Value.IsCompleted);
            if (stuck > 0)
            {
                ServerLog.HandlersAbandoned(_logger, stuck);
            }
        }

        var result = new ServerStopResult(pending.Length - aborted, aborted);
        ServerLog.Stopped(_logger, result.DrainedConnections, result.AbortedConnections);
        if (Volatile.Read(ref _acceptLoopFault) is { } fault)
        {
            throw new IOException("The server's accept loop died before the stop; see the inner exception.", fault);
        }

        return result;
    }
}
