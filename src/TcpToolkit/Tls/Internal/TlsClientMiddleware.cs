using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;

namespace TcpToolkit.Tls.Internal;

/// <summary>
/// The client side of TLS: a handshake right after the TCP connect, bounded by the handshake timeout. On success the
/// transport becomes a <see cref="TlsLayer"/> and <see cref="TlsConnectionInfo"/> is set before the rest of the
/// client pipeline runs; on failure the connection is aborted (<see cref="CloseReason.MiddlewareError"/>) and
/// <see cref="TlsHandshakeException"/> is thrown, which the client's <c>ConnectAsync</c> throws in turn.
/// </summary>
internal sealed class TlsClientMiddleware
{
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _handshakeTimeout;
    private readonly string _targetHost;
    private readonly SslProtocols _protocols;
    private readonly Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? _validation;
    private readonly X509ChainPolicy? _chainPolicy;
    private readonly X509Certificate2Collection? _clientCertificates;
    private readonly List<SslApplicationProtocol>? _applicationProtocols;

    public TlsClientMiddleware(TlsClientOptions options)
    {
        _logger = options.LoggerFactory.CreateLogger("TcpToolkit.Tls");
        _timeProvider = options.TimeProvider;
        _handshakeTimeout = options.HandshakeTimeout;
        _targetHost = options.TargetHost;
        _protocols = options.EnabledProtocols;
        _validation = options.RemoteCertificateValidation;
        _chainPolicy = options.CertificateChainPolicy?.Clone();
        _clientCertificates = options.ClientCertificates.Count > 0 ? [.. options.ClientCertificates] : null;
        _applicationProtocols = options.ApplicationProtocols.Count > 0 ? [.. options.ApplicationProtocols] : null;
    }

    /// <summary>The middleware: runs the handshake, then <paramref name="next"/> over the TLS layer.</summary>
    public ConnectionHandler Wrap(ConnectionHandler next) => (connection, cancellationToken) => OnConnectionAsync(connection, next, cancellationToken);

    private async Task OnConnectionAsync(Connection connection, ConnectionHandler next, CancellationToken cancellationToken)
    {
        var below = connection.Transport;
        var ssl = new SslStream(new TransportStream(below), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _targetHost,
            EnabledSslProtocols = _protocols,
            ClientCertificates = _clientCertificates,
            ApplicationProtocols = _applicationProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(certificate, chain, errors),
            AllowRenegotiation = false,
        };
        if (_chainPolicy is { } policy)
        {
            // A copy per handshake: the chain engine adds the peer's certificates to the policy's stores.
            options.CertificateChainPolicy = policy.Clone();
        }

        var telemetry = connection.Telemetry;
        var timing = telemetry?.TlsHandshakeStarting() ?? default;
        using (var timeout = new CancellationTokenSource(_handshakeTimeout, _timeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, connection.ConnectionClosed))
        {
            try
            {
                await ssl.AuthenticateAsClientAsync(options, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                var timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
                telemetry?.TlsHandshakeEnded(timing, protocolVersion: null, TlsTelemetry.ErrorType(ex, timedOut, cancellationToken.IsCancellationRequested));
                if (timedOut)
                {
                    TlsLog.ClientHandshakeTimedOut(_logger, connection.Id, _targetHost, _handshakeTimeout);
                    var message = "The TLS handshake with '" + _targetHost + "' timed out after " + TlsGuards.Seconds(_handshakeTimeout) + ".";
                    connection.Abort(CloseReason.MiddlewareError, message);
                    throw new TlsHandshakeException(message, new TimeoutException(message, ex));
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    // The client is being disposed: a cancellation, not a handshake failure.
                    throw new OperationCanceledException("The client was disposed during the TLS handshake.", ex, cancellationToken);
                }

                TlsLog.ClientHandshakeFailed(_logger, connection.Id, _targetHost, ex.Message, ex);
                connection.Abort(CloseReason.MiddlewareError, "TLS handshake failed: " + ex.Message);
                throw new TlsHandshakeException("The TLS handshake with '" + _targetHost + "' failed: " + ex.Message, ex);
            }
        }

        telemetry?.TlsHandshakeEnded(timing, TlsTelemetry.Version(ssl.SslProtocol), errorType: null);
        var info = new TlsConnectionInfo(
            isServer: false,
            ssl.SslProtocol,
            ssl.NegotiatedCipherSuite,
            _targetHost,
            ssl.NegotiatedApplicationProtocol,
            TlsCertificates.AsCertificate2(ssl.RemoteCertificate));
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            TlsLog.ClientHandshakeCompleted(_logger, connection.Id, _targetHost, info.Protocol, info.CipherSuite, info.ApplicationProtocol.ToString());
        }
        connection.SetFeature(info);
        connection.Transport = new TlsLayer(ssl, below, connection, _logger);
        await next(connection, cancellationToken).ConfigureAwait(false);
    }

    private bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            // A server always sends a certificate; one that does not is not trusted, callback or not.
            return false;
        }

        return _validation is { } validate
            ? validate(TlsCertificates.AsCertificate2(certificate)!, chain, errors)
            : errors == SslPolicyErrors.None;
    }
}
