using System.Buffers;
using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Proxy.Internal;

namespace TcpToolkit.Proxy;

/// <summary>
/// Adds the PROXY protocol (HAProxy's, versions 1 and 2) to a connection pipeline: <see cref="UseProxyProtocol"/>
/// on a server endpoint behind a load balancer, <see cref="UseProxyProtocolHeader"/> on a client that connects
/// through something that expects a header.
/// </summary>
public static class ProxyProtocolExtensions
{
    /// <summary>
    /// Requires every connection to start with a PROXY protocol header (version 1 or 2) from a trusted proxy, and
    /// makes the connection look as the original client's: <see cref="Connection.RemoteEndPoint"/> becomes the client,
    /// <see cref="Connection.LocalEndPoint"/> the address it connected to, and the header (TLVs included) is set as the
    /// <see cref="ProxyProtocolHeader"/> feature. The bytes after the header stay in the connection's input.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Add it first on the endpoint the proxy connects to (<c>options.Listen(endPoint, b =&gt; b.UseProxyProtocol(...))</c>)
    /// and before TLS: the proxy writes the header in clear before the client's TLS handshake, so it must be the
    /// outermost layer that reads the socket's bytes. Do not enable it on an endpoint that clients reach directly: a
    /// missing header is refused, never guessed at.
    /// </para>
    /// <para>
    /// A peer outside <see cref="ProxyProtocolOptions.TrustedProxies"/> is refused before a byte is read; a missing,
    /// malformed, too large or too slow header is refused when it is seen. Either way the connection is aborted with
    /// <see cref="CloseReason.MiddlewareError"/>, counted in <see cref="ProxyProtocolOptions.RejectedConnectionCount"/>,
    /// logged (event 602, Debug) and a <see cref="ProxyProtocolException"/> is thrown, so the application's handler
    /// never runs (a <c>TcpServer</c> logs it as a protocol error). A <c>LOCAL</c> header (the proxy's health check)
    /// or <c>UNKNOWN</c> is accepted: the connection keeps its socket addresses.
    /// </para>
    /// </remarks>
    /// <param name="builder">The endpoint's (or server's) middleware.</param>
    /// <param name="options">The trusted proxies, limits, clock and logging; read when the pipeline is built.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static ConnectionBuilder UseProxyProtocol(this ConnectionBuilder builder, ProxyProtocolOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.Use(next => new ProxyProtocolMiddleware(next, options).InvokeAsync);
    }

    /// <summary>
    /// Sends a PROXY protocol header as the first bytes of every connection, before the next middleware runs: for a
    /// client that connects to a server that requires one (a relay forwarding connections, a test of such a server).
    /// </summary>
    /// <remarks>
    /// Add it first, before TLS. With no endpoints given, the header carries the connection's own: its
    /// <see cref="Connection.LocalEndPoint"/> as the source and its <see cref="Connection.RemoteEndPoint"/> as the
    /// destination (where the version cannot carry them, such as a Unix domain socket in version 1, the header says
    /// <c>UNKNOWN</c> and the server keeps its socket's addresses). To send a different header per connection, or TLVs,
    /// write it yourself with <see cref="ProxyProtocolHeader.WriteV2"/> and flush before anything else.
    /// </remarks>
    /// <param name="builder">The client's middleware.</param>
    /// <param name="version">1 (the text line) or 2 (binary, the default).</param>
    /// <param name="source">The original client to announce, with <paramref name="destination"/>; <see langword="null"/> for the connection's own endpoints.</param>
    /// <param name="destination">The address the original client connected to; <see langword="null"/> with <paramref name="source"/>.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is neither 1 nor 2.</exception>
    /// <exception cref="ArgumentException">Only one endpoint is given, or the version cannot carry them.</exception>
    public static ConnectionBuilder UseProxyProtocolHeader(this ConnectionBuilder builder, int version = 2, EndPoint? source = null, EndPoint? destination = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (version is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "The PROXY protocol has versions 1 and 2.");
        }

        if ((source is null) != (destination is null))
        {
            throw new ArgumentException("Give both source and destination, or neither to use each connection's own endpoints.", source is null ? nameof(source) : nameof(destination));
        }

        // Fixed endpoints: written (and validated) once, now.
        byte[]? fixedHeader = null;
        if (source is not null)
        {
            var writer = new ArrayBufferWriter<byte>();
            _ = version == 1 ? ProxyHeaderWriter.WriteV1(writer, source, destination) : ProxyHeaderWriter.WriteV2(writer, source, destination, null, false);
            fixedHeader = writer.WrittenSpan.ToArray();
        }

        return builder.Use(next => async (connection, cancellationToken) =>
        {
            if (fixedHeader is not null)
            {
                connection.Output.Write(fixedHeader);
            }
            else
            {
                ProxyHeaderWriter.WriteForEndPoints(connection.Output, version, connection.LocalEndPoint, connection.RemoteEndPoint);
            }

            // One flush, so the header leaves in one segment (the specification asks senders to send it at once).
            var flush = await connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted)
            {
                throw new ConnectionAbortedException("The connection's output closed before the PROXY protocol header was sent.");
            }

            await next(connection, cancellationToken).ConfigureAwait(false);
        });
    }
}
