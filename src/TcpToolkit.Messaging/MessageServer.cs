using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Transport;

namespace TcpToolkit.Messaging;

/// <summary>
/// Request/response over a connection: many requests in flight on one connection, replies matched by id in any order,
/// plus one-way messages, server pushes and ping/pong, all in one small envelope. Plug
/// <see cref="HandleConnectionAsync"/> into any server as its <see cref="ConnectionHandler"/> (a <see cref="TcpServer"/>,
/// an <see cref="InMemory.InMemoryServer"/>, the end of a middleware pipeline); <see cref="MessageClient"/> is the
/// other end.
/// </summary>
/// <remarks>
/// <para>Wire format. Each message is one length-prefixed frame, all integers big-endian (network order):</para>
/// <code>
/// +-------------------+-----------+-------------------+----------------------+
/// | length: uint32 BE | kind: u8  | request id: u32BE | payload: length-5 B  |
/// +-------------------+-----------+-------------------+----------------------+
/// </code>
/// <para>
/// <c>length</c> counts the bytes after itself (kind + id + payload, so at least 5); the whole frame, header included,
/// may not exceed <see cref="MessageServerOptions.MaxFrameLength"/>. Kinds: 1 Request (client to server), 2 Response,
/// 3 Error (payload: a UTF-8 message), 4 OneWay (client to server, no reply), 5 Push (server to client), 6 Ping,
/// 7 Pong (the answer to a ping, same id). The id pairs a Response or Error with its Request and a Pong with its Ping;
/// it is 0 for OneWay and Push. Ids are chosen by the requester and only need to be unique among its pending
/// requests. An unknown kind, a frame shorter than 5 bytes, or a kind sent in the wrong direction is a protocol
/// error that closes the connection.
/// </para>
/// <para>
/// Handler exceptions become an Error reply (the client throws <see cref="RemoteHandlerException"/>) and the
/// connection stays open. A client's FIN lets the queued requests finish before the connection closes.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var messages = new MessageServer(async (request, cancellationToken) =>
/// {
///     request.Reply.Write(request.Payload.Span); // echo
/// });
/// var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 7000) } };
/// await using var server = new TcpServer(options, messages.HandleConnectionAsync);
/// await server.StartAsync();
/// </code>
/// </example>
public sealed class MessageServer
{
    private readonly Func<RequestContext, CancellationToken, ValueTask> _handler;
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a message server.</summary>
    /// <param name="handler">
    /// Handles one request or one-way message: read <see cref="RequestContext.Payload"/>, write the reply to
    /// <see cref="RequestContext.Reply"/>. Its token fires when the server stops or the connection closes.
    /// </param>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults; read now.</param>
    public MessageServer(Func<RequestContext, CancellationToken, ValueTask> handler, MessageServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
        _options = options ?? new MessageServerOptions();
        _logger = _options.LoggerFactory.CreateLogger("TcpToolkit.Messaging.MessageServer");
    }

    /// <summary>
    /// Serves one connection until the client closes it or <paramref name="cancellationToken"/> fires. It has the
    /// signature of a <see cref="ConnectionHandler"/>: pass this method as the server's handler.
    /// </summary>
    /// <param name="connection">The connection to serve.</param>
    /// <param name="cancellationToken">The server's stopping token; it also reaches the handlers.</param>
    /// <returns>A task that completes when the session has ended and every handler it started has finished.</returns>
    /// <exception cref="ProtocolException">
    /// The client broke the protocol: a bad envelope (an <see cref="InvalidFrameException"/>, a
    /// <see cref="FrameTooLargeException"/>). The server closes the connection with <see cref="CloseReason.ProtocolError"/>.
    /// </exception>
    public Task HandleConnectionAsync(Connection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new MessageSession(connection, _handler, _options, _logger).RunAsync(cancellationToken);
    }
}
