using System.Net;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Messaging.Internal;
using TcpToolkit.Transport;

namespace TcpToolkit.Messaging;

/// <summary>
/// The client end of a <see cref="MessageServer"/>: many requests in flight on one connection, replies matched by id
/// in any order, one-way messages and server pushes; and it keeps the connection up, reconnecting with exponential
/// backoff and full jitter and detecting a dead server with a ping/pong heartbeat.
/// </summary>
/// <remarks>
/// <para>
/// State: <see cref="MessageClientState.Connecting"/> until the first connection, then
/// <see cref="MessageClientState.Connected"/> and <see cref="MessageClientState.Reconnecting"/> in turn, and finally
/// <see cref="MessageClientState.Closed"/> (disposed, or <see cref="MessageClientOptions.MaxReconnectAttempts"/>
/// failed in a row). <see cref="StateChanged"/> reports every change, in order, from one thread.
/// </para>
/// <para>
/// Connections come from <see cref="MessageClientOptions.ConnectionFactory"/>: by default a <see cref="TcpClient"/>
/// built from <see cref="MessageClientOptions.Transport"/>, or any transport or middleware stack behind an
/// <see cref="IConnectionFactory"/> (an in-memory server in tests). The client uses them only through
/// <see cref="Connection"/>.
/// </para>
/// <para>
/// Failures are typed: a lost connection fails every pending request at once with <see cref="ConnectionLostException"/>
/// (retry idempotent requests; the next attempt waits for the reconnect); a handler failure on the server is a
/// <see cref="RemoteHandlerException"/> and the connection stays up; the request timeout is a <see cref="TimeoutException"/>;
/// the caller's token gives <see cref="OperationCanceledException"/>. A reply that arrives after its request timed out
/// or was cancelled is dropped, logged at Debug and counted in <see cref="LateReplyCount"/>.
/// </para>
/// <para>
/// Costs: per request a <see cref="TaskCompletionSource{TResult}"/> (the pending entry), the reply's pooled buffer and,
/// with a timeout, a timer-backed cancellation source; no lock on the request/reply path (a concurrent dictionary maps
/// ids, a semaphore bounds the requests in flight, one async lock orders the writes).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var client = new MessageClient(new IPEndPoint(IPAddress.Loopback, 7000));
/// await client.StartAsync();
/// using var reply = await client.SendRequestAsync("hello"u8.ToArray());
/// Console.WriteLine(Encoding.UTF8.GetString(reply.Memory.Span));
/// </code>
/// </example>
public sealed class MessageClient : IAsyncDisposable
{
    private readonly EndPoint _remoteEndPoint;
    private readonly MessageClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IConnectionFactory _factory;
    private readonly TcpClient? _ownedTcpClient;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _lock = new();
    private readonly Queue<PooledFrame> _oneWayQueue = new();
    private readonly string _remoteName;
    private TaskCompletionSource<ClientConnection> _connected = NewConnectedSignal();
    private ClientConnection? _current;
    private Task? _supervisor;
    private bool _closed;
    private int _state;
    private int _started;
    private int _disposed;
    private long _reconnectCount;
    private long _lateReplyCount;

    /// <summary>Creates a client for <paramref name="remoteEndPoint"/>. Nothing connects until <see cref="StartAsync"/>.</summary>
    /// <param name="remoteEndPoint">
    /// The server: an <see cref="IPEndPoint"/>, a <see cref="DnsEndPoint"/> (resolved on each connect) or a Unix domain
    /// socket; with a <see cref="MessageClientOptions.ConnectionFactory"/>, whatever endpoint that factory understands.
    /// </param>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults; read now.</param>
    public MessageClient(EndPoint remoteEndPoint, MessageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        _remoteEndPoint = remoteEndPoint;
        _remoteName = remoteEndPoint.ToString() ?? "?";
        _options = options ?? new MessageClientOptions();
        _logger = _options.Transport.LoggerFactory.CreateLogger("TcpToolkit.Messaging.MessageClient");
        _time = _options.Transport.TimeProvider;
        if (_options.ConnectionFactory is { } factory)
        {
            _factory = factory;
        }
        else
        {
            _factory = _ownedTcpClient = new TcpClient(_options.Transport);
        }

        _slots = new SemaphoreSlim(_options.MaxInFlightRequests, _options.MaxInFlightRequests);
    }

    /// <summary>Occurs after the state changed, on the client's connection loop; a handler should be quick (an exception it throws is logged).</summary>
    public event EventHandler<MessageClientStateChangedEventArgs>? StateChanged;

    /// <summary>Gets the server's endpoint.</summary>
    public EndPoint RemoteEndPoint => _remoteEndPoint;

    /// <summary>Gets the current state.</summary>
    public MessageClientState State => (MessageClientState)Volatile.Read(ref _state);

    /// <summary>Gets how many times the client connected again after losing a connection.</summary>
    public long ReconnectCount => Interlocked.Read(ref _reconnectCount);

    /// <summary>Gets how many replies arrived for no pending request (after their request timed out or was cancelled) and were dropped.</summary>
    public long LateReplyCount => Interlocked.Read(ref _lateReplyCount);

    /// <summary>
    /// Starts connecting (and keeping the connection up) and waits for the first connection. Calling it again just
    /// waits for a connection.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait; the client keeps connecting in the background until disposed.</param>
    /// <returns>A task that completes when the client is connected.</returns>
    /// <exception cref="ConnectionLostException">The client closed before it connected (attempts exhausted); the inner exception says why.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _supervisor = SuperviseAsync();
        }

        await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request and waits for its reply, within <see cref="MessageClientOptions.RequestTimeout"/>.</summary>
    /// <param name="payload">The request; copied into the connection's buffer before the reply can arrive.</param>
    /// <param name="cancellationToken">Cancels the request; its slot is freed and a late reply is dropped.</param>
    /// <returns>The reply's payload in a pooled buffer. The caller owns it and must dispose it to return the buffer.</returns>
    /// <exception cref="TimeoutException">No reply within the timeout (counted from this call, slot and connection waits included).</exception>
    /// <exception cref="ConnectionLostException">The connection was lost before the reply came, or the client closed.</exception>
    /// <exception cref="RemoteHandlerException">The server's handler failed; the connection stays usable.</exception>
    /// <exception cref="FrameTooLargeException">The request is longer than <see cref="MessageClientOptions.MaxFrameLength"/> allows; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ValueTask<PooledFrame> SendRequestAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        => SendRequestAsync(payload, _options.RequestTimeout ?? Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Sends a request and waits for its reply within <paramref name="timeout"/> (see <see cref="SendRequestAsync(ReadOnlyMemory{byte}, CancellationToken)"/>).</summary>
    /// <param name="payload">The request.</param>
    /// <param name="timeout">How long the whole call may take; <see cref="Timeout.InfiniteTimeSpan"/> for no timeout.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reply's payload in a pooled buffer; the caller must dispose it.</returns>
    /// <exception cref="TimeoutException">No reply within <paramref name="timeout"/>.</exception>
    /// <exception cref="ConnectionLostException">The connection was lost before the reply came, or the client closed.</exception>
    /// <exception cref="RemoteHandlerException">The server's handler failed.</exception>
    /// <exception cref="FrameTooLargeException">The request is too long; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async ValueTask<PooledFrame> SendRequestAsync(ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Must be positive, or Timeout.InfiniteTimeSpan.");
        }

        Envelope.CheckLength(payload.Length, _options.MaxFrameLength);
        cancellationToken.ThrowIfCancellationRequested();

        using var timeoutSource = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _time);
        using var linked = timeoutSource is not null && cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token)
            : null;
        var token = linked?.Token ?? timeoutSource?.Token ?? cancellationToken;
        try
        {
            await _slots.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (IsTimeout(timeoutSource, cancellationToken))
        {
            throw new TimeoutException($"The request got no free slot within {timeout}: {_options.MaxInFlightRequests} requests were in flight.");
        }

        try
        {
            var connection = Volatile.Read(ref _current) is { IsLost: false } current
                ? current
                : await WaitForConnectionAsync(token).ConfigureAwait(false);
            var pending = connection.Register();
            using (token.UnsafeRegister(static (state, token) => ((PendingRequest)state!).Connection.Cancel((PendingRequest)state!, token), pending))
            {
                try
                {
                    await connection.WriteAsync(MessageKind.Request, pending.Id, payload, token).ConfigureAwait(false);
                }
                catch
                {
                    Abandon(pending, token);
                    throw;
                }

                return await pending.Task.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (IsTimeout(timeoutSource, cancellationToken))
        {
            throw new TimeoutException($"No reply within {timeout}.");
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Sends a one-way message (no reply). Without a connection it is queued when
    /// <see cref="MessageClientOptions.OneWayQueueCapacity"/> allows, and sent in order after the reconnect.
    /// </summary>
    /// <param name="payload">The message; copied before the call returns.</param>
    /// <param name="cancellationToken">Cancels the wait for the write lock or a slow server.</param>
    /// <returns>A task that completes when the message is handed to the transport or queued.</returns>
    /// <exception cref="ConnectionLostException">There is no connection and no room in the queue, the connection broke during the send, or the client closed.</exception>
    /// <exception cref="FrameTooLargeException">The message is too long; nothing was sent.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ValueTask SendOneWayAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Envelope.CheckLength(payload.Length, _options.MaxFrameLength);
        ClientConnection? connection;
        lock (_lock)
        {
            if (_closed)
            {
                throw new ConnectionLostException("The client is closed.");
            }

            connection = _current is { IsLost: false } current && _oneWayQueue.Count == 0 ? current : null;
            if (connection is null)
            {
                if (_oneWayQueue.Count >= _options.OneWayQueueCapacity)
                {
                    throw new ConnectionLostException(_options.OneWayQueueCapacity == 0
                        ? "The client is not connected."
                        : $"The client is not connected and its one-way queue is full ({_options.OneWayQueueCapacity} messages).");
                }

                _oneWayQueue.Enqueue(PooledFrame.CopyOf(new System.Buffers.ReadOnlySequence<byte>(payload)));
                return ValueTask.CompletedTask;
            }
        }

        return connection.WriteAsync(MessageKind.OneWay, 0, payload, cancellationToken);
    }

    /// <summary>
    /// Closes the client: pending and waiting requests fail with <see cref="ConnectionLostException"/>, queued one-way
    /// messages are dropped, the connection is closed (FIN, within the transport's close timeout), every timer is
    /// stopped, and the state becomes <see cref="MessageClientState.Closed"/>. Idempotent.
    /// </summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_supervisor is not null)
        {
            // The loop sees the token, closes its connection and ends with Closed; it never throws.
            await _supervisor.ConfigureAwait(false);
        }
        else
        {
            Close(null);
        }

        if (_ownedTcpClient is not null)
        {
            await _ownedTcpClient.DisposeAsync().ConfigureAwait(false);
        }

        _disposing.Dispose();
    }

    internal void CountLateReply() => Interlocked.Increment(ref _lateReplyCount);

    /// <summary>Called by a connection when it is lost: new requests now wait for the next connection.</summary>
    internal void OnConnectionLost(ClientConnection connection)
    {
        lock (_lock)
        {
            if (_current == connection)
            {
                _current = null;
                if (!_closed && _connected.Task.IsCompleted)
                {
                    _connected = NewConnectedSignal();
                }
            }
        }
    }

    private static TaskCompletionSource<ClientConnection> NewConnectedSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static bool IsTimeout(CancellationTokenSource? timeoutSource, CancellationToken cancellationToken)
        => timeoutSource is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested;

    private static void Abandon(PendingRequest pending, CancellationToken token)
    {
        // The request was never fully sent: drop its entry, and make sure a fault set meanwhile by the loss sweep is observed.
        pending.Connection.Cancel(pending, token.IsCancellationRequested ? token : new CancellationToken(canceled: true));
        _ = pending.Task.ContinueWith(
            static task => task.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async ValueTask<ClientConnection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<ClientConnection> signal;
            lock (_lock)
            {
                signal = _connected.Task;
            }

            var connection = await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!connection.IsLost)
            {
                return connection;
            }

            // Lost between the signal and now: make sure a fresh signal is installed (idempotent), then wait for it.
            OnConnectionLost(connection);
        }
    }

    private async Task SuperviseAsync()
    {
        var stopping = _disposing.Token;
        Exception? cause = null;
        var everConnected = false;
        var attempt = -1; // -1: the first connect, without delay
        try
        {
            while (true)
            {
                if (attempt >= 0)
                {
                    if (_options.MaxReconnectAttempts is { } max && attempt >= max)
                    {
                        MessagingLog.GaveUp(_logger, _remoteName, attempt);
                        break;
                    }

                    var delay = ReconnectBackoff.Delay(attempt, _options.ReconnectInitialDelay, _options.ReconnectMaxDelay, _options.JitterSource);
                    MessagingLog.ReconnectScheduled(_logger, attempt + 1, _remoteName, delay);
                    if (delay > TimeSpan.Zero)
                    {
                        await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
                    }
                }

                Connection transport;
                try
                {
                    transport = await _factory.ConnectAsync(_remoteEndPoint, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    // Refused, timed out, a failed client middleware, a stopped in-memory server: any failure of the
                    // factory is a failed attempt (TcpClient's is a TcpConnectException naming the socket error).
                    MessagingLog.ConnectFailed(_logger, _remoteName, ex.Message);
                    cause = ex;
                    attempt++;
                    continue;
                }

                attempt = 0;
                var connection = new ClientConnection(this, transport, _options, _logger, _time);
                try
                {
                    connection.Start();
                    if (await PublishAsync(connection, stopping).ConfigureAwait(false))
                    {
                        if (everConnected)
                        {
                            Interlocked.Increment(ref _reconnectCount);
                        }

                        everConnected = true;
                        MessagingLog.Connected(_logger, _remoteName, connection.Id);
                        SetState(MessageClientState.Connected, null);
                    }

                    using (stopping.UnsafeRegister(static state => ((ClientConnection)state!).MarkLost(new ConnectionLostException("The client was disposed.")), connection))
                    {
                        cause = await connection.Lost.ConfigureAwait(false);
                    }
                }
                finally
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }

                if (stopping.IsCancellationRequested)
                {
                    cause = null;
                    break;
                }

                SetState(MessageClientState.Reconnecting, cause);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            cause = null;
        }
        catch (Exception ex)
        {
            // Not expected; never leave the client hanging in a non-final state.
            cause = ex;
        }

        Close(cause);
    }

    /// <summary>Sends the queued one-way messages in order, then makes the connection current (under the queue's lock, so none overtakes).</summary>
    private async Task<bool> PublishAsync(ClientConnection connection, CancellationToken stopping)
    {
        while (true)
        {
            PooledFrame next;
            lock (_lock)
            {
                if (connection.IsLost)
                {
                    return false;
                }

                if (!_oneWayQueue.TryDequeue(out next!))
                {
                    _current = connection;
                    _connected.TrySetResult(connection);
                    return true;
                }
            }

            using (next)
            {
                try
                {
                    await connection.WriteAsync(MessageKind.OneWay, 0, next.Memory, stopping).ConfigureAwait(false);
                }
                catch (ConnectionLostException)
                {
                    // Lost again at once: this message is dropped (it may have been sent) and the rest wait for the
                    // next connection. The connection is not made current; the loop sees it lost and reconnects.
                    return false;
                }
            }
        }
    }

    private void Close(Exception? cause)
    {
        lock (_lock)
        {
            _closed = true;
            _current = null;
            var closed = new ConnectionLostException("The client is closed.", cause);
            if (!_connected.TrySetException(closed))
            {
                _connected = NewConnectedSignal();
                _connected.TrySetException(closed);
            }

            // Nobody may ever wait on it: mark the fault observed so it never reaches UnobservedTaskException.
            _ = _connected.Task.Exception;
            while (_oneWayQueue.TryDequeue(out var dropped))
            {
                dropped.Dispose();
            }
        }

        SetState(MessageClientState.Closed, cause);
    }

    private void SetState(MessageClientState state, Exception? exception)
    {
        var previous = (MessageClientState)Interlocked.Exchange(ref _state, (int)state);
        if (previous == state)
        {
            return;
        }

        try
        {
            StateChanged?.Invoke(this, new MessageClientStateChangedEventArgs(previous, state, exception));
        }
        catch (Exception ex)
        {
            MessagingLog.StateHandlerFaulted(_logger, ex);
        }
    }
}
