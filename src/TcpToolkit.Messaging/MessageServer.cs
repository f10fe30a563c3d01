using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Messaging.Internal;
using TcpToolkit.Transport;

namespace TcpToolkit.Messaging;

/// <summary>
/// Request/response over a connection: many requests in flight on one connection, replies matched by 64-bit id in
/// any order, routed by method name to handlers of bytes or of typed objects, plus one-way messages both ways,
/// server-to-client requests, deadlines, cancellation and a graceful "going away". Plug
/// <see cref="HandleConnectionAsync"/> into any server as its <see cref="ConnectionHandler"/> (a <see cref="TcpServer"/>,
/// an <see cref="InMemory.InMemoryServer"/>, the end of a middleware pipeline); <see cref="MessageClient"/> is the
/// other end. The wire protocol (version 1) is documented in the README, section "The wire protocol".
/// </summary>
/// <remarks>
/// <para>
/// Handlers run on the thread pool, never on the connection's read loop, up to
/// <see cref="MessageServerOptions.MaxConcurrentRequestsPerConnection"/> per connection. Their token fires when the
/// request's deadline passes, the client cancels it, or the connection is lost. A handler exception becomes an error
/// reply (<see cref="MessageErrorCode.HandlerFailed"/>) and the connection stays open.
/// </para>
/// <para>
/// When the hosting server stops (its stopping token fires), each session goes away gracefully: a GoAway tells the
/// client which of its requests were accepted, requests not yet started are answered
/// <see cref="MessageErrorCode.NotExecuted"/>, running ones finish, then the connection closes. When a connection is
/// lost instead, requests not yet started are dropped, never run: the client has already failed them.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var messages = new MessageServer()
///     .Map("echo", (request, cancellationToken) => { request.Reply.Write(request.Payload.Span); return ValueTask.CompletedTask; });
/// var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 7000) } };
/// await using var server = new TcpServer(options, messages.HandleConnectionAsync);
/// await server.StartAsync();
/// </code>
/// </example>
public sealed class MessageServer
{
    private readonly Dictionary<string, Func<RequestContext, CancellationToken, ValueTask>> _routes = new(StringComparer.Ordinal);
    private readonly Func<RequestContext, CancellationToken, ValueTask>? _fallback;
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private ChannelSettings? _settings;

    /// <summary>Creates a message server without routes yet (add them with <see cref="Map"/>).</summary>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults.</param>
    public MessageServer(MessageServerOptions? options = null)
    {
        _options = options ?? new MessageServerOptions();
        _logger = _options.LoggerFactory.CreateLogger("TcpToolkit.Messaging.MessageServer");
    }

    /// <summary>Creates a message server whose <paramref name="handler"/> serves every method without a route of its own.</summary>
    /// <param name="handler">
    /// Handles one request or one-way message: read <see cref="RequestContext.Payload"/>, write the reply to
    /// <see cref="RequestContext.Reply"/>.
    /// </param>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults.</param>
    public MessageServer(Func<RequestContext, CancellationToken, ValueTask> handler, MessageServerOptions? options = null)
        : this(options)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _fallback = handler;
    }

    /// <summary>Routes the requests and one-way messages sent to <paramref name="method"/> to <paramref name="handler"/>.</summary>
    /// <param name="method">The method name (at most 255 UTF-8 bytes; may be empty).</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This server, to chain further routes.</returns>
    /// <exception cref="InvalidOperationException">The server already serves connections, or the method is mapped already.</exception>
    public MessageServer Map(string method, Func<RequestContext, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        Wire.MethodByteCount(method);
        lock (_lock)
        {
            if (_settings is not null)
            {
                throw new InvalidOperationException("Routes are fixed once the server serves its first connection.");
            }

            if (!_routes.TryAdd(method, handler))
            {
                throw new InvalidOperationException($"The method '{method}' is mapped already.");
            }
        }

        return this;
    }

    /// <summary>
    /// Routes <paramref name="method"/> to a typed handler: the payload is read as a <typeparamref name="TRequest"/> and
    /// the result written as the reply, both with <see cref="MessageServerOptions.Serializer"/>. A payload that cannot be
    /// read is answered <see cref="MessageErrorCode.InvalidRequest"/>.
    /// </summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The reply's type.</typeparam>
    /// <param name="method">The method name.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This server.</returns>
    /// <exception cref="InvalidOperationException">No serializer is set, the server already serves connections, or the method is mapped already.</exception>
    public MessageServer Map<TRequest, TResponse>(string method, Func<TRequest, RequestContext, CancellationToken, ValueTask<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var serializer = TypedCalls.Require(_options.Serializer);
        return Map(method, async (context, cancellationToken) =>
        {
            var request = context.ReadPayload<TRequest>();
            var response = await handler(request, context, cancellationToken).ConfigureAwait(false);
            serializer.Serialize(context.Reply, response);
        });
    }

    /// <summary>
    /// Serves one connection until the client closes it or <paramref name="cancellationToken"/> fires (then it goes
    /// away gracefully). It has the signature of a <see cref="ConnectionHandler"/>: pass this method as the server's handler.
    /// </summary>
    /// <param name="connection">The connection to serve.</param>
    /// <param name="cancellationToken">The server's stopping token.</param>
    /// <returns>A task that completes when the session has ended and every handler it started has finished.</returns>
    /// <exception cref="ProtocolException">
    /// The client broke the protocol (a bad frame, limits exceeded, a <see cref="ProtocolMismatchException"/> in the
    /// hello). The server closes the connection with <see cref="CloseReason.ProtocolError"/>.
    /// </exception>
    public async Task HandleConnectionAsync(Connection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var channel = new MessageChannel(connection, Settings());
        var started = false;
        try
        {
            await channel.RunAsync(
                async (session, stopping) =>
                {
                    if (_options.SessionStarted is { } hook)
                    {
                        try
                        {
                            await hook(session, stopping).ConfigureAwait(false);
                        }
                        catch (Exception ex)
                        {
                            MessagingLog.SessionHookFaulted(_logger, session.Id, ex);
                            throw;
                        }
                    }

                    started = true;
                },
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (started && _options.SessionEnded is { } ended)
            {
                try
                {
                    await ended(channel.Session).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    MessagingLog.SessionHookFaulted(_logger, channel.Id, ex);
                }
            }
        }
    }

    private ChannelSettings Settings()
    {
        lock (_lock)
        {
            return _settings ??= new ChannelSettings
            {
                IsClient = false,
                Logger = _logger,
                Time = _options.TimeProvider,
                MaxFrameLength = _options.MaxFrameLength,
                MaxIncomingRequests = _options.MaxRequestsInFlightPerConnection,
                MaxBufferedBytes = _options.MaxBufferedBytesPerConnection,
                MaxConcurrentHandlers = _options.MaxConcurrentRequestsPerConnection,
                MaxOutgoingRequests = _options.MaxRequestsInFlightPerConnection,
                PingInterval = _options.ClientPingInterval,
                HandshakeTimeout = _options.HandshakeTimeout,
                IncludeExceptionDetails = _options.IncludeExceptionDetails,
                Router = new MethodRouter(_routes, _fallback),
                Serializer = _options.Serializer,
                Metrics = MessagingMetrics.For(_options.MeterFactory),
                ProtocolVersion = _options.ProtocolVersion,
            };
        }
    }
}
