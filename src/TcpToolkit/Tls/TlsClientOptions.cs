using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections;
using TcpToolkit.Tls.Internal;

namespace TcpToolkit.Tls;

/// <summary>
/// Settings for the client side of TLS (<see cref="TlsConnectionBuilderExtensions.UseTls(ConnectionBuilder, TlsClientOptions)"/>,
/// on <c>TcpClientOptions.Middleware</c>). Read once, when <c>UseTls</c> is called. Validation is strict by default:
/// the server's certificate chain must lead to a trusted root and the certificate must be issued for
/// <see cref="TargetHost"/>.
/// </summary>
public sealed class TlsClientOptions
{
    private string _targetHost = string.Empty;
    private SslProtocols _enabledProtocols = TlsGuards.Supported;
    private TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(10);
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Gets or sets the server's name: sent as SNI (when it is a DNS name) and checked against the server certificate's
    /// names (DNS names, or an IP address SAN when it is an address). Required.
    /// </summary>
    /// <exception cref="ArgumentException">The value is empty or white space.</exception>
    public required string TargetHost
    {
        get => _targetHost;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _targetHost = value;
        }
    }

    /// <summary>
    /// Gets or sets the callback that decides whether the server's certificate is accepted, given the chain built for
    /// it and the errors found (<see cref="SslPolicyErrors.None"/> when the chain and the name are valid).
    /// <see langword="null"/> (the default) is strict: the chain must validate (against
    /// <see cref="CertificateChainPolicy"/>, or the system's trusted roots) and the name must match
    /// <see cref="TargetHost"/>. There is no "accept any certificate" switch: a caller who wants that writes the
    /// callback, and owns the risk.
    /// </summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? RemoteCertificateValidation { get; set; }

    /// <summary>
    /// Gets or sets how the server's certificate chain is built, for example <see cref="X509ChainTrustMode.CustomRootTrust"/>
    /// with a private certificate authority in <see cref="X509ChainPolicy.CustomTrustStore"/>: strict validation
    /// against your own root, without a callback. Defaults to <see langword="null"/>: the system's trusted roots, no
    /// revocation check. A policy is used as given (a copy per handshake): <see cref="X509ChainPolicy"/>'s own
    /// <see cref="X509ChainPolicy.RevocationMode"/> is <see cref="X509RevocationMode.Online"/>, so set
    /// <see cref="X509RevocationMode.NoCheck"/> for an authority that publishes no revocation lists.
    /// </summary>
    public X509ChainPolicy? CertificateChainPolicy { get; set; }

    /// <summary>
    /// Gets the certificates (with private keys) the client may present when the server asks for one (mutual TLS);
    /// the first suitable one is sent. Empty by default.
    /// </summary>
    public X509Certificate2Collection ClientCertificates { get; } = [];

    /// <summary>
    /// Gets or sets the TLS versions the client offers. Defaults to TLS 1.2 and TLS 1.3. Only
    /// <see cref="SslProtocols.Tls12"/> and <see cref="SslProtocols.Tls13"/> are allowed: SSL 3, TLS 1.0 and 1.1
    /// are deprecated (RFC 8996).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is empty or contains another protocol.</exception>
    public SslProtocols EnabledProtocols
    {
        get => _enabledProtocols;
        set => _enabledProtocols = TlsGuards.Protocols(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how long the handshake may take before the connection is aborted and <c>ConnectAsync</c> throws
    /// <see cref="TlsHandshakeException"/>. Defaults to 10 seconds; always bounded (there is no unlimited value). The
    /// client's <c>ConnectTimeout</c> covers the TCP connect and the handshake together as well.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive, or is infinite.</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set => _handshakeTimeout = TlsGuards.HandshakeTimeout(value, nameof(value));
    }

    /// <summary>
    /// Gets the application protocols the client offers, in its order of preference, for ALPN. The agreed one is in
    /// <see cref="TlsConnectionInfo.ApplicationProtocol"/>. Empty by default: no ALPN.
    /// </summary>
    public IList<SslApplicationProtocol> ApplicationProtocols { get; } = [];

    /// <summary>Gets or sets the logger factory (event IDs 700-799). Defaults to <see cref="NullLoggerFactory.Instance"/> (no logging).</summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets or sets the clock of <see cref="HandshakeTimeout"/>. Defaults to <see cref="TimeProvider.System"/>; tests use a fake.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }
}
