using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections;
using TcpToolkit.Tls.Internal;

namespace TcpToolkit.Tls;

/// <summary>
/// Settings for the server side of TLS (<see cref="TlsConnectionBuilderExtensions.UseTls(ConnectionBuilder, TlsServerOptions)"/>).
/// <see cref="ServerCertificate"/> and <see cref="ServerCertificateSelector"/> are read for every handshake, so a
/// renewed certificate can be set while the server runs; every other setting is read once, when <c>UseTls</c> is called.
/// </summary>
public sealed class TlsServerOptions
{
    private X509Certificate2? _serverCertificate;
    private ClientCertificateMode _clientCertificateMode;
    private SslProtocols _enabledProtocols = TlsGuards.Supported;
    private TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(10);
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Gets or sets the certificate the server presents (with its private key), for every host name the
    /// <see cref="ServerCertificateSelector"/> does not answer. Read for every handshake: set a renewed certificate
    /// while the server runs and new connections present it, open ones keep theirs. Defaults to
    /// <see langword="null"/>; this or <see cref="ServerCertificateSelector"/> is required.
    /// </summary>
    /// <exception cref="ArgumentException">The certificate has no private key.</exception>
    public X509Certificate2? ServerCertificate
    {
        get => Volatile.Read(ref _serverCertificate);
        set
        {
            if (value is not null && !value.HasPrivateKey)
            {
                throw new ArgumentException("A server certificate needs its private key (load it from a PFX, or combine it with its key).", nameof(value));
            }

            Volatile.Write(ref _serverCertificate, value);
        }
    }

    /// <summary>
    /// Gets the intermediate certificates to send with the server certificate (the chain up to, not including, the
    /// root), as a PFX or a PEM bundle usually carries them: a client that trusts only the root cannot validate the
    /// certificate without them. One collection serves every certificate (each is sent with the ones that lead to its
    /// root), the selector's too; it is read when a certificate is first used, so add a renewed certificate's new
    /// intermediate before setting the certificate. Empty by default: only intermediates in the system's store are sent.
    /// </summary>
    public X509Certificate2Collection ServerCertificateChain { get; } = [];

    /// <summary>
    /// Gets or sets a callback that picks the certificate for each handshake by the host name the client asked for
    /// (SNI; <see langword="null"/> when it sent none), so one port serves several names. Called for every handshake,
    /// so it may return a renewed certificate at any time; <see langword="null"/> from it falls back to
    /// <see cref="ServerCertificate"/>, and with neither the handshake fails. It runs during the handshake: keep it
    /// fast (a dictionary lookup). Defaults to <see langword="null"/>.
    /// </summary>
    public Func<Connection, string?, X509Certificate2?>? ServerCertificateSelector { get; set; }

    /// <summary>
    /// Gets or sets whether the server asks clients for a certificate (mutual TLS). Defaults to
    /// <see cref="ClientCertificateMode.None"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined mode.</exception>
    public ClientCertificateMode ClientCertificateMode
    {
        get => _clientCertificateMode;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Not a defined ClientCertificateMode.");
            }

            _clientCertificateMode = value;
        }
    }

    /// <summary>
    /// Gets or sets the callback that decides whether a client certificate is accepted, given the chain built for it
    /// and the errors found (<see cref="SslPolicyErrors.None"/> when the chain is valid). <see langword="null"/> (the
    /// default) accepts a certificate only when its chain validates (against <see cref="CertificateChainPolicy"/>, or
    /// the system's trusted roots). It is not called when the client sent no certificate: then
    /// <see cref="ClientCertificateMode"/> decides.
    /// </summary>
    public Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool>? ClientCertificateValidation { get; set; }

    /// <summary>
    /// Gets or sets how client certificate chains are built, for example <see cref="X509ChainTrustMode.CustomRootTrust"/>
    /// with the certificate authority that issues your clients' certificates in
    /// <see cref="X509ChainPolicy.CustomTrustStore"/>. Defaults to <see langword="null"/>: the system's trusted roots,
    /// no revocation check. A policy is used as given (a copy per handshake): <see cref="X509ChainPolicy"/>'s own
    /// <see cref="X509ChainPolicy.RevocationMode"/> is <see cref="X509RevocationMode.Online"/>, so set
    /// <see cref="X509RevocationMode.NoCheck"/> for an authority that publishes no revocation lists.
    /// </summary>
    public X509ChainPolicy? CertificateChainPolicy { get; set; }

    /// <summary>
    /// Gets or sets the TLS versions the server accepts. Defaults to TLS 1.2 and TLS 1.3. Only
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
    /// Gets or sets how long a handshake may take from the accept before the connection is aborted with
    /// <see cref="CloseReason.MiddlewareError"/>: a client that connects and never sends its hello holds nothing for
    /// longer. Defaults to 10 seconds; always bounded (there is no unlimited value).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive, or is infinite.</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set => _handshakeTimeout = TlsGuards.HandshakeTimeout(value, nameof(value));
    }

    /// <summary>
    /// Gets the application protocols the server supports, in its order of preference, for ALPN (for example
    /// <see cref="SslApplicationProtocol.Http2"/>, or <c>new SslApplicationProtocol("my-protocol/1")</c>). The
    /// agreed one is in <see cref="TlsConnectionInfo.ApplicationProtocol"/>. Empty by default: no ALPN.
    /// </summary>
    public IList<SslApplicationProtocol> ApplicationProtocols { get; } = [];

    /// <summary>
    /// Gets or sets the cipher suites the server offers, in order (Linux and macOS only; the OS's default elsewhere
    /// must stay <see langword="null"/>). Defaults to <see langword="null"/>: the OS's secure defaults.
    /// </summary>
    public CipherSuitesPolicy? CipherSuitesPolicy { get; set; }

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
