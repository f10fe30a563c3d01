using System.Collections.Concurrent;
using System.Net;
using TcpToolkit.Connections;

namespace TcpToolkit.InMemory;

/// <summary>
/// A server without sockets: each <see cref="ConnectAsync(CancellationToken)"/> creates a connected in-memory pair,
/// runs the handler (inside <see cref="Middleware"/>) on the server end and returns the client end. For tests of the
/// layers above the transport (framing, messaging, middleware, an application's protocol), in users' test suites and
/// ours; real sockets are tested with <c>TcpToolkit.Transport.TcpServer</c>.
/// </summary>
/// <remarks>
/// The ends behave as a TCP connection does: completing one's output is the other's end of stream, aborting one is
/// the other's reset (<see cref="ConnectionResetException"/>), a flush waits while 64 KiB are unread, and
/// continuations run on the thread pool. A handler that throws a <see cref="ProtocolException"/> closes its
/// connection with <see cref="CloseReason.ProtocolError"/>, any other exception with <see cref="CloseReason.HandlerFault"/>.
/// </remarks>
public sealed class InMemoryServer : IConnectionFactory, IAsyncDisposable
{
    private readonly ConnectionHandler _handler;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Connection, Task> _connections = new();
    private ConnectionHandler? _pipeline;
    private int _stopped;

    /// <summary>Creates a server that runs <paramref name="handler"/> for each connection.</summary>
    /// <param name="handler">Serves one connection; its token fires when the server stops.</param>
    public InMemoryServer(ConnectionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
    }

    /// <summary>Gets the middleware every server end runs through, outermost first. Add to it before the first connect.</summary>
    public ConnectionBuilder Middleware { get; } = new();

    /// <summary>Gets the number of connections whose handler is still running.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Creates a connected pair without a server: what one end writes, the other reads.</summary>
    /// <returns>The two ends; each is owned by whoever uses it and is disposed on its own.</returns>
    public static (Connection Client, Connection Server) CreateConnectionPair() => InMemoryConnection.CreatePair();

    /// <summary>Opens a connection: the handler starts on the server end, the client end is returned.</summary>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The client end; the caller owns it.</returns>
    /// <exception cref="ObjectDisposedException">The server has stopped.</exception>
    public ValueTask<Connection> ConnectAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
        var pipeline = _pipeline ??= Middleware.Build(_handler);
        var (client, server) = InMemoryConnection.CreatePair();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[server] = done.Task;
        _ = ServeAsync(server, pipeline, done);
        return new ValueTask<Connection>(client);
    }

    /// <inheritdoc />
    ValueTask<Connection> IConnectionFactory.ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
        => ConnectAsync(cancellationToken);

    /// <summary>
    /// Stops: signals every handler through its token, waits for them until <paramref name="cancellationToken"/>
    /// fires, then aborts the rest. Idempotent.
    /// </summary>
    /// <param name="cancellationToken">Ends the graceful wait; the remaining connections are aborted.</param>
    /// <returns>A task that completes when every handler has returned or its connection was aborted.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            // Once: after DisposeAsync the source is disposed, and a second stop (or dispose) must not throw.
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        var pending = _connections.ToArray();
        var all = Task.WhenAll(pending.Select(p => p.Value));
        await all.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var (connection, task) in pending)
        {
            if (!task.IsCompleted)
            {
                connection.Abort(CloseReason.ServerShutdown, "The in-memory server is stopping.");
            }
        }
    }

    /// <summary>Stops, giving handlers five seconds (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await StopAsync(timeout.Token).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task ServeAsync(Connection connection, ConnectionHandler pipeline, TaskCompletionSource done)
    {
        try
        {
            await Task.Yield();
            await pipeline(connection, _stopping.Token).ConfigureAwait(false);
        }
        catch (ProtocolException ex)
        {
            connection.Abort(CloseReason.ProtocolError, ex.Message);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The handler honoured the stop signal.
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException)
        {
            // The transport ended the handler; nothing to add.
        }
        catch (Exception ex)
        {
            connection.Abort(CloseReason.HandlerFault, "The connection's handler threw " + ex.GetType().Name + ": " + ex.Message);
        }

        try
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            done.TrySetResult();
        }
    }
}
