using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Messaging.Internal;
using TcpToolkit.Transport;

namespace TcpToolkit.Messaging;

/// <summary>
/// The client end of a <see cref="MessageServer"/>: many requests in flight on one connection, replies matched by id
/// in any order, one-way messages both ways and requests from the server; and it keeps the connection up,
/// reconnecting with exponential backoff and jitter, detecting a dead server with a ping/pong heartbeat, and moving to
/// a new connection when the server goes away.
/// </summary>
/// <remarks>
/// <para>
/// State: <see cref="MessageClientState.Connecting"/> until the first connection, then
/// <see cref="MessageClientState.Connected"/> and <see cref="MessageClientState.Reconnecting"/> in turn, and finally
/// <see cref="MessageClientState.Closed"/> (disposed, <see cref="MessageClientOptions.MaxReconnectAttempts"/> failed in
/// a row, or a <see cref="ProtocolMismatchException"/>). A connection counts only once the server completed the hello
/// exchange: the backoff is reset then, never on a bare TCP connect.
/// </para>
/// <para>
/// Failures are typed. <see cref="RequestNotExecutedException"/>: the request certainly did not run (the server went
/// away before starting it); retry it, whatever it does. <see cref="ConnectionLostException"/>: the connection was lost
/// while the request was pending, it may have run; retry only idempotent requests. <see cref="RemoteErrorException"/>:
/// the server answered with an error code (its handler failed, unknown method, deadline passed); the connection stays
/// up. <see cref="TimeoutException"/>: no reply within the timeout. <see cref="OperationCanceledException"/>: the
/// caller's token fired (the server's handler token fires too). A reply that arrives after its request timed out or
/// was cancelled is dropped and counted in <see cref="LateReplyCount"/>.
/// </para>
/// <para>
/// Costs: on a connected client, a request allocates nothing (a pooled pending entry that is the awaited
/// <see cref="ValueTask{TResult}"/>'s source, a pooled reply buffer, no timer: one timer per connection runs every
/// deadline); frames written by many callers are sent with one flush; replies complete their callers on the thread
/// pool, never on the connection's read loop.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var client = new MessageClient(new IPEndPoint(IPAddress.Loopback, 7000));
/// await client.StartAsync();
/// using var reply = await client.SendRequestAsync("echo", "hello"u8.ToArray());
/// Console.WriteLine(Encoding.UTF8.GetString(reply.Payload.Span));
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
    private readonly ChannelSettings _settings;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _lock = new();
    private readonly Queue<(string Method, PooledFrameCopy Payload)> _oneWayQueue = new();
    private readonly List<Task> _draining = [];
    private readonly TaskCompletionSource _stopSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _remoteName;
    private readonly MessagingMetrics _metrics;
    private readonly EndPointTags _serverTags;
    private TaskCompletionSource<MessageChannel> _connected = NewConnectedSignal();
    private MessageChannel? _current;
    private Task? _supervisor;
    private bool _closed;
    private bool _everConnected;
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
        _serverTags = new EndPointTags(remoteEndPoint);
        _options = options ?? new MessageClientOptions();
        _metrics = MessagingMetrics.For(_options.Transport.MeterFactory);
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

        _settings = new ChannelSettings
        {
            IsClient = true,
            Logger = _logger,
            Time = _time,
            MaxFrameLength = _options.MaxFrameLength,
            MaxIncomingRequests = _options.MaxInFlightRequests,
            MaxBufferedBytes = ClientBufferedBytes,
            MaxConcurrentHandlers = 1,
            MaxOutgoingRequests = _options.MaxInFlightRequests,
            PingInterval = _options.HeartbeatInterval,
            HeartbeatTimeout = _options.HeartbeatTimeout,
            HandshakeTimeout = _options.HandshakeTimeout,
            Router = _options.Handler is { } handler ? new MethodRouter(new Dictionary<string, Func<RequestContext, CancellationToken, ValueTask>>(), handler) : null,
            Serializer = _options.Serializer,
            Metrics = _metrics,
            HelloMetadata = _options.HelloMetadata is { Count: > 0 } hello ? Wire.EncodeMetadata(hello) : [],
            ProtocolVersion = _options.ProtocolVersion,
            FirstRequestId = _options.FirstRequestId,
            PongReceived = _options.PongReceived,
            LateReply = () => Interlocked.Increment(ref _lateReplyCount),
        };
    }

    /// <summary>Occurs after the state changed, on the client's connection loop; a handler should be quick (an exception it throws is logged).</summary>
    public event EventHandler<MessageClientStateChangedEventArgs>? StateChanged;

    /// <summary>Gets the server's endpoint.</summary>
    public EndPoint RemoteEndPoint => _remoteEndPoint;

    /// <summary>Gets the current state.</summary>
    public MessageClientState State => (MessageClientState)Volatile.Read(ref _state);

    /// <summary>Gets how many times the client connected again after losing a connection (or after the server went away).</summary>
    public long ReconnectCount => Interlocked.Read(ref _reconnectCount);

    /// <summary>Gets how many answers arrived for requests that had timed out or been cancelled, and were dropped.</summary>
    public long LateReplyCount => Interlocked.Read(ref _lateReplyCount);

    // What the client holds at most of the server's requests and of unsent one-way messages per connection.
    private static int ClientBufferedBytes => 4 * 1024 * 1024;

    /// <summary>
    /// Starts connecting (and keeping the connection up) and waits for the first connection. Calling it again just
    /// waits for a connection.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait; the client keeps connecting in the background until disposed.</param>
    /// <returns>A task that completes when the client is connected.</returns>
    /// <exception cref="ConnectionLostException">The client closed before it connected (attempts exhausted); the inner exception says why.</exception>
    /// <exception cref="ProtocolMismatchException">The server speaks another protocol version or announced unusable limits.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EnsureStarted();
        try
        {
            await WaitForChannelAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionLostException ex) when (ex.InnerException is ProtocolMismatchException mismatch)
        {
            throw new ProtocolMismatchException(mismatch.Message, mismatch);
        }
    }

    /// <summary>Sends a request and waits for its reply, within <see cref="MessageClientOptions.RequestTimeout"/>.</summary>
    /// <param name="method">The method (route) name on the server, at most 255 UTF-8 bytes; may be empty.</param>
    /// <param name="payload">The request; copied before the call's task can complete.</param>
    /// <param name="cancellationToken">Cancels the request (the server's handler token fires too); a late reply is dropped.</param>
    /// <returns>The reply in a pooled buffer: the caller owns it and must dispose it.</returns>
    /// <exception cref="TimeoutException">No reply within the timeout (counted from this call, connection wait included).</exception>
    /// <exception cref="RequestNotExecutedException">The server went away without starting the request: it did not run; retry it.</exception>
    /// <exception cref="ConnectionLostException">The connection was lost before the reply came (it may have run), or the client closed.</exception>
    /// <exception cref="RemoteErrorException">The server answered with an error; the connection stays usable.</exception>
    /// <exception cref="FrameTooLargeException">The request does not fit the server's maximum frame length; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ValueTask<MessageReply> SendRequestAsync(string method, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        => SendRequestAsync(method, payload, null, cancellationToken);

    /// <summary>Sends a request with per-request options (timeout, metadata) and waits for its reply.</summary>
    /// <param name="method">The method name.</param>
    /// <param name="payload">The request.</param>
    /// <param name="options">The timeout (the client's default when not set) and metadata, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reply in a pooled buffer; the caller must dispose it.</returns>
    /// <exception cref="TimeoutException">No reply within the timeout.</exception>
    /// <exception cref="RequestNotExecutedException">The request did not run; retry it.</exception>
    /// <exception cref="ConnectionLostException">The connection was lost before the reply came, or the client closed.</exception>
    /// <exception cref="RemoteErrorException">The server answered with an error.</exception>
    /// <exception cref="FrameTooLargeException">The request is too long; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ValueTask<MessageReply> SendRequestAsync(string method, ReadOnlyMemory<byte> payload, RequestOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var timeout = options?.Timeout ?? _options.RequestTimeout ?? Timeout.InfiniteTimeSpan;
        var deadline = timeout == Timeout.InfiniteTimeSpan ? 0 : _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        var metadata = options?.Metadata is { Count: > 0 } entries ? Wire.EncodeMetadata(entries) : null;

        // Issue #14: one call from here to its outcome, the connection wait and a move to a new connection included.
        var call = RpcCall.BeginOutgoing(_metrics, _time, method, _serverTags, channel: null);
        if (call.Activity is { } span)
        {
            metadata = MessagingActivitySource.Inject(span, options?.Metadata, metadata);
        }

        if (Volatile.Read(ref _current) is { } channel)
        {
            try
            {
                return channel.SendRequestAsync(method, payload, metadata, deadline, call, cancellationToken);
            }
            catch (RequestNotExecutedException)
            {
                // The connection closed or started going away a moment ago: the request was not sent; wait for the next.
                OnChannelUnusable(channel);
            }
            catch (Exception ex) when (call.IsTracked)
            {
                // Nothing was sent (too long for the server's frames): the call ends here.
                call.End(_metrics, _time, ex);
                throw;
            }
        }

        return SendRequestSlowAsync(method, payload, metadata, deadline, timeout, call, cancellationToken);
    }

    /// <summary>Sends a typed request and waits for its typed reply, through <see cref="MessageClientOptions.Serializer"/>.</summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The reply's type.</typeparam>
    /// <param name="method">The method name (a route mapped with <see cref="MessageServer.Map{TRequest, TResponse}"/>).</param>
    /// <param name="request">The request.</param>
    /// <param name="options">The timeout and metadata, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="InvalidOperationException">No serializer is configured.</exception>
    /// <exception cref="RemoteErrorException">The server answered with an error (<see cref="MessageErrorCode.InvalidRequest"/> when it could not read the request).</exception>
    public ValueTask<TResponse> SendRequestAsync<TRequest, TResponse>(string method, TRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default)
        => TypedCalls.RequestAsync<TRequest, TResponse>(
            TypedCalls.Require(_options.Serializer),
            payload => SendRequestAsync(method, payload, options, cancellationToken),
            request);

    /// <summary>
    /// Sends a one-way message (no reply). Without a connection it is queued when
    /// <see cref="MessageClientOptions.OneWayQueueCapacity"/> allows, and sent in order after the reconnect.
    /// </summary>
    /// <param name="method">The method name.</param>
    /// <param name="payload">The message; copied before the call returns.</param>
    /// <param name="cancellationToken">Cancels the wait for a slow server (the message is sent anyway).</param>
    /// <returns>A task that completes when the message is copied and the output has room.</returns>
    /// <exception cref="ConnectionLostException">There is no connection and no room in the queue, or the client closed.</exception>
    /// <exception cref="FrameTooLargeException">The message is too long; nothing was sent.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ValueTask SendOneWayAsync(string method, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Wire.MethodByteCount(method);
        MessageChannel? channel;
        lock (_lock)
        {
            if (_closed)
            {
                throw new ConnectionLostException("The client is closed.");
            }

            channel = _current is { IsUsable: true } current && _oneWayQueue.Count == 0 ? current : null;
            if (channel is null)
            {
                if (_oneWayQueue.Count >= _options.OneWayQueueCapacity)
                {
                    throw new ConnectionLostException(_options.OneWayQueueCapacity == 0
                        ? "The client is not connected."
                        : $"The client is not connected and its one-way queue is full ({_options.OneWayQueueCapacity} messages).");
                }

                _oneWayQueue.Enqueue((method, PooledFrameCopy.Of(payload.Span)));
                return ValueTask.CompletedTask;
            }
        }

        try
        {
            return channel.SendOneWayAsync(method, payload, null, cancellationToken);
        }
        catch (RequestNotExecutedException ex)
        {
            throw new ConnectionLostException("The client is not connected.", ex);
        }
    }

    /// <summary>Sends a typed one-way message (a name of its own, so a byte array never binds to it) through <see cref="MessageClientOptions.Serializer"/>.</summary>
    /// <typeparam name="TMessage">The message's type.</typeparam>
    /// <param name="method">The method name.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the wait for a slow server.</param>
    /// <returns>A task that completes when the message is copied (or queued).</returns>
    /// <exception cref="InvalidOperationException">No serializer is configured.</exception>
    public ValueTask SendMessageAsync<TMessage>(string method, TMessage message, CancellationToken cancellationToken = default)
        => TypedCalls.OneWayAsync(
            TypedCalls.Require(_options.Serializer),
            payload => SendOneWayAsync(method, payload, cancellationToken),
            message);

    /// <summary>
    /// Closes the client: pending and waiting requests fail with <see cref="ConnectionLostException"/>, queued one-way
    /// messages are dropped, what was written is flushed before the connection closes (FIN, within the transport's
    /// close timeout), every timer is stopped, and the state becomes <see cref="MessageClientState.Closed"/>. Idempotent.
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

        Task[] draining;
        lock (_lock)
        {
            draining = [.. _draining];
        }

        await Task.WhenAll(draining).ConfigureAwait(false);
        if (_ownedTcpClient is not null)
        {
            await _ownedTcpClient.DisposeAsync().ConfigureAwait(false);
        }

        _disposing.Dispose();
    }

    private static TaskCompletionSource<MessageChannel> NewConnectedSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void EnsureStarted()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _metrics.ClientState(null, State);

            // The connection loop must not carry the first caller's execution context (its async locals, its
            // activity) into every connection, and into the handlers of the server's requests that run in it.
            using (ExecutionContext.SuppressFlow())
            {
                _supervisor = SuperviseAsync();
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageReply> SendRequestSlowAsync(
        string method, ReadOnlyMemory<byte> payload, byte[]? metadata, long deadline, TimeSpan timeout, RpcCall call, CancellationToken cancellationToken)
    {
        var channelOwnsCall = false;
        try
        {
            using var timeoutSource = deadline == 0 ? null : new CancellationTokenSource(_time.GetElapsedTime(_time.GetTimestamp(), deadline), _time);
            using var linked = timeoutSource is not null && cancellationToken.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token)
                : null;
            var waitToken = linked?.Token ?? timeoutSource?.Token ?? cancellationToken;
            while (true)
            {
                MessageChannel channel;
                try
                {
                    channel = await WaitForChannelAsync(waitToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeoutSource is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No connection within the request's timeout of {timeout}.");
                }

                ValueTask<MessageReply> pending;
                try
                {
                    pending = channel.SendRequestAsync(method, payload, metadata, deadline, call, cancellationToken);
                }
                catch (RequestNotExecutedException)
                {
                    OnChannelUnusable(channel);
                    continue;
                }

                channelOwnsCall = true;
                return await pending.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!channelOwnsCall && call.IsTracked)
        {
            // No connection in time, the client closed, the caller cancelled, or the request could not be sent.
            call.End(_metrics, _time, ex);
            throw;
        }
    }

    private async ValueTask<MessageChannel> WaitForChannelAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        while (true)
        {
            Task<MessageChannel> signal;
            lock (_lock)
            {
                signal = _connected.Task;
            }

            var channel = await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (channel.IsUsable)
            {
                return channel;
            }

            // Lost between the signal and now: make sure a fresh signal is installed (idempotent), then wait for it.
            OnChannelUnusable(channel);
        }
    }

    /// <summary>New requests now wait for the next connection.</summary>
    private void OnChannelUnusable(MessageChannel channel)
    {
        lock (_lock)
        {
            if (_current == channel)
            {
                _current = null;
                if (!_closed && _connected.Task.IsCompleted)
                {
                    _connected = NewConnectedSignal();
                }
            }
        }
    }

    private async Task SuperviseAsync()
    {
        var stopping = _disposing.Token;
        Exception? cause = null;
        var attempt = -1; // -1: connect without delay (the first connect, or after the server went away)
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
                    // Refused, timed out, a failed client middleware, a stopped in-memory server: a failed attempt.
                    MessagingLog.ConnectFailed(_logger, _remoteName, ex.Message);
                    cause = ex;
                    attempt = attempt < 0 ? 0 : attempt + 1;
                    continue;
                }

                var channel = new MessageChannel(transport, _settings);
                var run = channel.RunAsync(null, CancellationToken.None);
                ServeOutcome outcome;
                try
                {
                    outcome = await ServeAsync(channel, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    await EndChannelAsync(channel, run, transport, new ConnectionLostException("The client was disposed.")).ConfigureAwait(false);
                    throw;
                }

                if (outcome.Fatal is { } fatal)
                {
                    await EndChannelAsync(channel, run, transport, fatal).ConfigureAwait(false);
                    cause = fatal;
                    break;
                }

                if (outcome.GoingAway && !stopping.IsCancellationRequested)
                {
                    // The server is going away: its pending requests finish on the old connection while new ones go to
                    // a new connection at once (the server said it serves, so no backoff).
                    lock (_lock)
                    {
                        _draining.Add(DrainAsync(channel, run, transport));
                    }

                    cause = new ConnectionLostException("The server is going away.");
                    SetState(MessageClientState.Reconnecting, cause);
                    attempt = -1;
                    continue;
                }

                cause = outcome.Reason;
                await EndChannelAsync(channel, run, transport, new ConnectionLostException("The client was disposed.")).ConfigureAwait(false);
                if (stopping.IsCancellationRequested)
                {
                    cause = null;
                    break;
                }

                // Served: the backoff starts over; a failed hello is one more failed attempt.
                attempt = outcome.Served || attempt < 0 ? 0 : attempt + 1;
                if (outcome.Served)
                {
                    SetState(MessageClientState.Reconnecting, cause);
                }
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

        MessageChannel? last;
        lock (_lock)
        {
            last = _current;
        }

        Close(cause);
        if (last is not null)
        {
            await last.CloseAsync(new ConnectionLostException("The client was disposed.")).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one connection: hello, hook, publish, then waits until it ends or goes away.</summary>
    private async Task<ServeOutcome> ServeAsync(MessageChannel channel, CancellationToken stopping)
    {
        try
        {
            await channel.Handshake.WaitAsync(stopping).ConfigureAwait(false);
        }
        catch (ProtocolMismatchException ex)
        {
            MessagingLog.HandshakeFailed(_logger, _remoteName, ex.Message);
            return new ServeOutcome(false, false, ex);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            // Connected, but the server did not complete the hello (a full server closing at once): not served.
            MessagingLog.HandshakeFailed(_logger, _remoteName, ex.Message);
            return new ServeOutcome(false, false, ex);
        }

        if (_options.Connected is { } hook)
        {
            try
            {
                await hook(channel.Session, stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                MessagingLog.SessionHookFaulted(_logger, channel.Id, ex);
                return new ServeOutcome(false, false, ex);
            }
        }

        if (!await PublishAsync(channel, stopping).ConfigureAwait(false))
        {
            return new ServeOutcome(true, false, new ConnectionLostException("The connection was lost right after the hello exchange."));
        }

        if (_everConnected)
        {
            Interlocked.Increment(ref _reconnectCount);
            _metrics.Reconnect(_serverTags);
        }

        _everConnected = true;
        MessagingLog.Connected(_logger, _remoteName, channel.Id);
        SetState(MessageClientState.Connected, null);
        using (stopping.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), _stopSignal))
        {
            await Task.WhenAny(channel.Ended, channel.PeerGoingAway, _stopSignal.Task).ConfigureAwait(false);
        }

        OnChannelUnusable(channel);
        if (channel.Ended.IsCompleted)
        {
            var reason = await channel.Ended.ConfigureAwait(false);
            MessagingLog.ConnectionLost(_logger, _remoteName, reason.Message);
            return new ServeOutcome(true, false, reason);
        }

        return new ServeOutcome(true, channel.PeerGoingAway.IsCompleted && !stopping.IsCancellationRequested, null);
    }

    private async Task DrainAsync(MessageChannel channel, Task run, Connection transport)
    {
        // The server closes the connection once its last answer is sent; disposing the client cuts this short.
        using (_disposing.Token.UnsafeRegister(static state => _ = ((MessageChannel)state!).CloseAsync(new ConnectionLostException("The client was disposed.")), channel))
        {
            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await transport.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task EndChannelAsync(MessageChannel channel, Task run, Connection transport, Exception reason)
    {
        await channel.CloseAsync(reason).ConfigureAwait(false);
        await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await transport.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Sends the queued one-way messages in order, then makes the channel current (under the queue's lock, so none overtakes).</summary>
    private async Task<bool> PublishAsync(MessageChannel channel, CancellationToken stopping)
    {
        while (true)
        {
            (string Method, PooledFrameCopy Payload) next;
            lock (_lock)
            {
                if (!channel.IsUsable || _closed)
                {
                    return false;
                }

                if (!_oneWayQueue.TryDequeue(out next))
                {
                    _current = channel;
                    _connected.TrySetResult(channel);
                    return true;
                }
            }

            using (next.Payload)
            {
                try
                {
                    await channel.SendOneWayAsync(next.Method, next.Payload.Memory, null, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RequestNotExecutedException or ConnectionLostException)
                {
                    // Lost again at once: this message is dropped and the rest wait for the next connection.
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
            while (_oneWayQueue.TryDequeue(out var dropped))
            {
                dropped.Payload.Dispose();
            }
        }

        // The state first: whoever StartAsync wakes up with the failure sees the client Closed already.
        SetState(MessageClientState.Closed, cause);
        lock (_lock)
        {
            var closed = new ConnectionLostException("The client is closed.", cause);
            if (!_connected.TrySetException(closed))
            {
                _connected = NewConnectedSignal();
                _connected.TrySetException(closed);
            }

            // Nobody may ever wait on it: mark the fault observed so it never reaches UnobservedTaskException.
            _ = _connected.Task.Exception;
        }
    }

    private void SetState(MessageClientState state, Exception? exception)
    {
        var previous = (MessageClientState)Interlocked.Exchange(ref _state, (int)state);
        if (previous == state)
        {
            return;
        }

        if (Volatile.Read(ref _started) != 0)
        {
            // A client counts from its start until it closes (Closed is no slot: it leaves the count).
            _metrics.ClientState(previous, state);
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

    /// <summary>How one connection ended: whether the server served (hello done), went away, or failed fatally.</summary>
    private readonly record struct ServeOutcome(bool Served, bool GoingAway, Exception? Reason)
    {
        public Exception? Fatal => Reason is ProtocolMismatchException ? Reason : null;
    }

    /// <summary>A pooled copy of a queued one-way message.</summary>
    private readonly struct PooledFrameCopy : IDisposable
    {
        private readonly byte[] _array;
        private readonly int _length;

        private PooledFrameCopy(byte[] array, int length)
        {
            _array = array;
            _length = length;
        }

        public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, _length);

        public static PooledFrameCopy Of(ReadOnlySpan<byte> payload)
        {
            var array = ArrayPool<byte>.Shared.Rent(payload.Length);
            payload.CopyTo(array);
            return new PooledFrameCopy(array, payload.Length);
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_array);
    }
}
