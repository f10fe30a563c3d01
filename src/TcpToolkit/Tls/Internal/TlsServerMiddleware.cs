using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;

namespace TcpToolkit.Tls.Internal;

/// <summary>
/// The server side of TLS (Kestrel's HttpsConnectionMiddleware, written for this seam): a handshake over the
/// connection's transport, bounded by the handshake timeout; on success the transport becomes a <see cref="TlsLayer"/>
/// and <see cref="TlsConnectionInfo"/> is set before the next handler runs; on failure only this connection is
/// aborted (<see cref="CloseReason.MiddlewareError"/>), logged at Debug, and the next handler never runs.
/// </summary>
internal sealed class TlsServerMiddleware
{
    // One certificate context per certificate instance: building the chain once, not per handshake. A renewed
    // certificate is a new instance and gets its own; a dropped one is collected with its context.
    private readonly ConditionalWeakTable<X509Certificate2, SslStreamCertificateContext> _contexts = [];
    private readonly TlsServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _handshakeTimeout;
    private readonly SslProtocols _protocols;
    private readonly ClientCertificateMode _clientCertificateMode;
    private readonly Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? _clientCertificateValidation;
    private readonly X509ChainPolicy? _chainPolicy;
    private readonly List<SslApplicationProtocol>? _applicationProtocols;
    private readonly CipherSuitesPolicy? _cipherSuitesPolicy;

    /// <summary>Takes the settings that are read once; the certificate and its selector stay on <paramref name="options"/>.</summary>
    public TlsServerMiddleware(TlsServerOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("TcpToolkit.Tls");
        _timeProvider = options.TimeProvider;
        _handshakeTimeout = options.HandshakeTimeout;
        _protocols = options.EnabledProtocols;
        _clientCertificateMode = options.ClientCertificateMode;
        _clientCertificateValidation = options.ClientCertificateValidation;
        _chainPolicy = options.CertificateChainPolicy?.Clone();
        _applicationProtocols = options.ApplicationProtocols.Count > 0 ? [.. options.ApplicationProtocols] : null;
        _cipherSuitesPolicy = options.CipherSuitesPolicy;
    }

    /// <summary>The middleware: runs the handshake, then <paramref name="next"/> over the TLS layer.</summary>
    public ConnectionHandler Wrap(ConnectionHandler next) => (connection, cancellationToken) => OnConnectionAsync(connection, next, cancellationToken);

    private async Task OnConnectionAsync(Connection connection, ConnectionHandler next, CancellationToken cancellationToken)
    {
        var below = connection.Transport;
        var ssl = new SslStream(new TransportStream(below), leaveInnerStreamOpen: false);
        var handshake = new Handshake(this, connection);
        var telemetry = connection.Telemetry;
        var timing = telemetry?.TlsHandshakeStarting() ?? default;
        using (var timeout = new CancellationTokenSource(_handshakeTimeout, _timeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, connection.ConnectionClosed))
        {
            try
            {
                await ssl.AuthenticateAsServerAsync(static (_, hello, state, _) => ((Handshake)state!).SelectOptions(hello), handshake, linked.Token)
                    .ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                var timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
                telemetry?.TlsHandshakeEnded(timing, protocolVersion: null, TlsTelemetry.ErrorType(ex, timedOut, cancellationToken.IsCancellationRequested));
                if (timedOut)
                {
                    TlsLog.HandshakeTimedOut(_logger, connection.Id, _handshakeTimeout);
                    connection.Abort(CloseReason.MiddlewareError, "TLS handshake timed out after " + TlsGuards.Seconds(_handshakeTimeout) + ".");
                    return;
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    // The server is stopping: its own shutdown path closes the connection.
                    throw new OperationCanceledException("The server stopped during the TLS handshake.", ex, cancellationToken);
                }

                TlsLog.HandshakeFailed(_logger, connection.Id, ex.Message, ex);
                connection.Abort(CloseReason.MiddlewareError, "TLS handshake failed: " + ex.Message);
                return;
            }
        }

        telemetry?.TlsHandshakeEnded(timing, TlsTelemetry.Version(ssl.SslProtocol), errorType: null);
        var info = new TlsConnectionInfo(
            isServer: true,
            ssl.SslProtocol,
            ssl.NegotiatedCipherSuite,
            handshake.HostName,
            ssl.NegotiatedApplicationProtocol,
            TlsCertificates.AsCertificate2(ssl.RemoteCertificate));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            TlsLog.HandshakeCompleted(_logger, connection.Id, info.Protocol, info.CipherSuite, info.HostName, info.ApplicationProtocol.ToString());
        }
        connection.SetFeature(info);
        connection.Transport = new TlsLayer(ssl, below, connection, _logger);
        await next(connection, cancellationToken).ConfigureAwait(false);
    }

    private SslStreamCertificateContext ContextFor(X509Certificate2 certificate)
        => _contexts.GetValue(certificate, CreateContext);

    /// <summary>
    /// The certificate with the intermediates it is sent with: those of <see cref="TlsServerOptions.ServerCertificateChain"/>
    /// (and the system store) that lead to its root. Offline: no handshake waits for an intermediate to download.
    /// </summary>
    private SslStreamCertificateContext CreateContext(X509Certificate2 certificate)
    {
        var chain = _options.ServerCertificateChain;
        X509Certificate2Collection? intermediates;
        lock (chain)
        {
            intermediates = chain.Count > 0 ? [.. chain] : null;
        }

        return SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    private bool ValidateClientCertificate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return _clientCertificateMode != ClientCertificateMode.Require;
        }

        if (_clientCertificateMode == ClientCertificateMode.None)
        {
            // Not asked for; nothing about it is trusted or exposed.
            return true;
        }

        // Without a callback: the chain must validate. A server does not check a client certificate's name.
        return _clientCertificateValidation is { } validate
            ? validate(TlsCertificates.AsCertificate2(certificate)!, chain, errors)
            : errors == SslPolicyErrors.None;
    }

    /// <summary>One connection's handshake: picks the certificate by SNI and remembers the host name.</summary>
    private sealed class Handshake(TlsServerMiddleware owner, Connection connection)
    {
        public string? HostName { get; private set; }

        public ValueTask<SslServerAuthenticationOptions> SelectOptions(SslClientHelloInfo hello)
        {
            HostName = string.IsNullOrEmpty(hello.ServerName) ? null : hello.ServerName;
            X509Certificate2? certificate;
            try
            {
                certificate = owner._options.ServerCertificateSelector?.Invoke(connection, HostName) ?? owner._options.ServerCertificate;
            }
            catch (Exception ex)
            {
                TlsLog.CertificateSelectorFailed(owner._logger, connection.Id, HostName, ex);
                throw;
            }

            if (certificate is null)
            {
                TlsLog.NoServerCertificate(owner._logger, connection.Id, HostName);
                throw new AuthenticationException("No server certificate for host name '" + HostName + "'.");
            }

            var options = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = owner.ContextFor(certificate),
                EnabledSslProtocols = owner._protocols,
                ClientCertificateRequired = owner._clientCertificateMode != ClientCertificateMode.None,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => owner.ValidateClientCertificate(certificate, chain, errors),
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ApplicationProtocols = owner._applicationProtocols,

                // Renegotiation is a denial-of-service lever and nothing here needs it.
                AllowRenegotiation = false,
            };

            if (owner._chainPolicy is { } policy)
            {
                // A copy per handshake: the chain engine adds the peer's certificates to the policy's stores.
                options.CertificateChainPolicy = policy.Clone();
            }

            if (owner._cipherSuitesPolicy is { } cipherSuites)
            {
                options.CipherSuitesPolicy = cipherSuites;
            }

            return ValueTask.FromResult(options);
        }
    }
}
