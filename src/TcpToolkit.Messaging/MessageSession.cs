using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Messaging;

/// <summary>
/// One connection speaking the message protocol, seen from either end: a server's session with one client (handed to
/// its handlers and session hooks), or one of a client's connections (handed to
/// <see cref="MessageClientOptions.Connected"/> and to the client's handler of server requests). Both ends may send
/// requests and one-way messages on it: a server pushes to a client, or asks it something, through its session.
/// </summary>
public sealed class MessageSession
{
    private readonly MessageChannel _channel;

    internal MessageSession(MessageChannel channel)
    {
        _channel = channel;
    }

    /// <summary>Gets the identifier of the underlying connection (for logs).</summary>
    public string Id => _channel.Id;

    /// <summary>Gets the peer's endpoint.</summary>
    public EndPoint? RemoteEndPoint => _channel.Connection.RemoteEndPoint;

    /// <summary>Gets the underlying connection (its features: the TLS session, the PROXY header's addresses, your own state).</summary>
    public Connection Connection => _channel.Connection;

    /// <summary>Gets a token that is cancelled when the connection closes.</summary>
    public CancellationToken Closed => _channel.Connection.ConnectionClosed;

    /// <summary>
    /// Gets the metadata the client sent in its hello (<see cref="MessageClientOptions.HelloMetadata"/>, such as an
    /// authentication token), on the server's end; empty on the client's end.
    /// </summary>
    public IReadOnlyDictionary<string, string> RemoteMetadata => _channel.RemoteMetadata;

    internal MessageChannel Channel => _channel;

    /// <summary>Sends a request to the peer on this connection and waits for its reply.</summary>
    /// <param name="method">The method (route) name, at most 255 UTF-8 bytes; may be empty.</param>
    /// <param name="payload">The request; copied before the call's task can complete.</param>
    /// <param name="options">The timeout (none by default) and metadata, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the request: the peer's handler token fires too.</param>
    /// <returns>The reply, in a pooled buffer the caller must dispose.</returns>
    /// <exception cref="RemoteErrorException">The peer's handler failed or the request was refused; the connection stays usable.</exception>
    /// <exception cref="RequestNotExecutedException">The request certainly did not run (the peer is going away, or the connection closed before it was sent).</exception>
    /// <exception cref="ConnectionLostException">The connection was lost while the request was pending.</exception>
    /// <exception cref="TimeoutException">No reply within the timeout.</exception>
    /// <exception cref="FrameTooLargeException">The request does not fit the peer's maximum frame length; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<MessageReply> SendRequestAsync(string method, ReadOnlyMemory<byte> payload, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        cancellationToken.ThrowIfCancellationRequested();
        var timeout = options?.Timeout ?? Timeout.InfiniteTimeSpan;
        var time = _channel.Time;
        var deadline = timeout == Timeout.InfiniteTimeSpan ? 0 : time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        var metadata = options?.Metadata is { Count: > 0 } entries ? Wire.EncodeMetadata(entries) : null;
        var call = RpcCall.BeginOutgoing(_channel.Metrics, time, method, server: null, _channel);
        if (call.Activity is { } span)
        {
            metadata = MessagingActivitySource.Inject(span, options?.Metadata, metadata);
        }

        try
        {
            return _channel.SendRequestAsync(method, payload, metadata, deadline, call, cancellationToken);
        }
        catch (Exception ex) when (call.IsTracked)
        {
            // Nothing was sent (the connection is closed, the request too long): the call ends here.
            call.End(_channel.Metrics, time, ex);
            throw;
        }
    }

    /// <summary>Sends a typed request to the peer and waits for its typed reply (through the endpoint's serializer).</summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The reply's type.</typeparam>
    /// <param name="method">The method name.</param>
    /// <param name="request">The request.</param>
    /// <param name="options">The timeout and metadata, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="InvalidOperationException">No serializer is configured.</exception>
    public ValueTask<TResponse> SendRequestAsync<TRequest, TResponse>(string method, TRequest request, RequestOptions? options = null, CancellationToken cancellationToken = default)
        => TypedCalls.RequestAsync<TRequest, TResponse>(
            TypedCalls.Require(_channel.SerializerOrNull),
            payload => SendRequestAsync(method, payload, options, cancellationToken),
            request);

    /// <summary>
    /// Sends a one-way message (a push, from a server) on this connection. It is copied into the connection's buffer
    /// before the call returns; the returned task waits only while the peer does not take what is sent.
    /// </summary>
    /// <param name="method">The method name the peer's handler sees.</param>
    /// <param name="payload">The message.</param>
    /// <param name="cancellationToken">Cancels the wait for a slow peer (the message is sent anyway).</param>
    /// <returns>A task that completes when the message is copied and the output has room.</returns>
    /// <exception cref="RequestNotExecutedException">The connection is closed or going away; nothing was sent.</exception>
    /// <exception cref="FrameTooLargeException">The message does not fit the peer's maximum frame length.</exception>
    public ValueTask SendOneWayAsync(string method, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return _channel.SendOneWayAsync(method, payload, null, cancellationToken);
    }

    /// <summary>Sends a typed one-way message (a name of its own, so a byte array never binds to it) through the endpoint's serializer (see <see cref="SendOneWayAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/>).</summary>
    /// <typeparam name="TMessage">The message's type.</typeparam>
    /// <param name="method">The method name.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the wait for a slow peer.</param>
    /// <returns>A task that completes when the message is copied and the output has room.</returns>
    /// <exception cref="InvalidOperationException">No serializer is configured.</exception>
    public ValueTask SendMessageAsync<TMessage>(string method, TMessage message, CancellationToken cancellationToken = default)
        => TypedCalls.OneWayAsync(
            TypedCalls.Require(_channel.SerializerOrNull),
            payload => SendOneWayAsync(method, payload, cancellationToken),
            message);

    /// <inheritdoc />
    public override string ToString() => _channel.Connection.ToString();
}
