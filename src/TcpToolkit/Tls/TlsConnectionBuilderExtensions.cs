using TcpToolkit.Connections;
using TcpToolkit.Tls.Internal;

namespace TcpToolkit.Tls;

/// <summary>
/// Adds TLS to a connection pipeline: <c>options.Middleware.UseTls(serverOptions)</c> on a server (or on one endpoint
/// with <c>options.Listen(endPoint, b =&gt; b.UseTls(serverOptions))</c>), <c>clientOptions.Middleware.UseTls(clientOptions)</c>
/// on a client. Everything added after it (codecs, messaging, the handler) reads and writes plaintext; add the PROXY
/// protocol before it, since a proxy's header comes before the TLS bytes.
/// </summary>
public static class TlsConnectionBuilderExtensions
{
    /// <summary>
    /// Adds the server side of TLS: each connection's handshake runs (bounded by
    /// <see cref="TlsServerOptions.HandshakeTimeout"/>) before the middleware after it and the handler; the handler sees
    /// plaintext and <see cref="TlsConnectionInfo"/> as a feature. A failed or timed-out handshake aborts only its
    /// connection with <see cref="CloseReason.MiddlewareError"/>, and the handler never runs for it.
    /// </summary>
    /// <param name="builder">The server's or an endpoint's middleware.</param>
    /// <param name="options">The settings: a <see cref="TlsServerOptions.ServerCertificate"/> or a <see cref="TlsServerOptions.ServerCertificateSelector"/> at least.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="options"/> has neither a certificate nor a selector.</exception>
    public static ConnectionBuilder UseTls(this ConnectionBuilder builder, TlsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ServerCertificate is null && options.ServerCertificateSelector is null)
        {
            throw new ArgumentException("Set TlsServerOptions.ServerCertificate or TlsServerOptions.ServerCertificateSelector.", nameof(options));
        }

        return builder.Use(new TlsServerMiddleware(options).Wrap);
    }

    /// <summary>
    /// Adds the client side of TLS: the handshake runs right after the TCP connect (bounded by
    /// <see cref="TlsClientOptions.HandshakeTimeout"/>), and <c>ConnectAsync</c> returns a connection that reads and
    /// writes plaintext, with <see cref="TlsConnectionInfo"/> as a feature. A failed or timed-out handshake aborts the
    /// connection and <c>ConnectAsync</c> throws <see cref="TlsHandshakeException"/>.
    /// </summary>
    /// <param name="builder">The client's middleware (<c>TcpClientOptions.Middleware</c>).</param>
    /// <param name="options">The settings; <see cref="TlsClientOptions.TargetHost"/> is required.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static ConnectionBuilder UseTls(this ConnectionBuilder builder, TlsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TargetHost, nameof(options));
        return builder.Use(new TlsClientMiddleware(options).Wrap);
    }
}
