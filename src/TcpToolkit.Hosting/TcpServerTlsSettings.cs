using System.Security.Authentication;
using TcpToolkit.Tls;

namespace TcpToolkit.Hosting;

/// <summary>
/// The TLS settings of a hosted TCP server (<c>TcpServer:Tls</c>). TLS is on, for every endpoint of the server, when
/// <see cref="CertificatePath"/> is set or code configures it (<see cref="TcpServerBuilder.ConfigureTls"/>); it is
/// the <c>UseTls</c> middleware, after the PROXY protocol and before yours.
/// </summary>
public sealed class TcpServerTlsSettings
{
    private static readonly TlsServerOptions s_defaults = new();

    /// <summary>
    /// Gets or sets the server certificate's file: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>, with its private key and
    /// usually its intermediates), or a PEM file (the certificate, then its intermediates) with the key in
    /// <see cref="CertificateKeyPath"/> or in the same file. A relative path is resolved against the host's content root (<c>IHostEnvironment.ContentRootPath</c>), as every file path of these settings.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the PEM private key's file, for a PEM certificate whose key is in a file of its own.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>
    /// Gets or sets the password of the PKCS#12 file, or of an encrypted PEM key. Keep it out of <c>appsettings.json</c>:
    /// an environment variable (<c>TcpServer__Tls__CertificatePassword</c>) or a secret store.
    /// </summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Gets or sets <see cref="TlsServerOptions.ClientCertificateMode"/> (<c>None</c>, <c>Allow</c>, <c>Require</c>). Defaults to <c>None</c>.</summary>
    public ClientCertificateMode ClientCertificateMode { get; set; } = s_defaults.ClientCertificateMode;

    /// <summary>
    /// Gets or sets a PEM file of the certificate authorities that issue client certificates: when set, a client
    /// certificate is accepted only if its chain ends at one of them (no revocation check: a private authority rarely
    /// publishes revocation lists; set <see cref="TlsServerOptions.CertificateChainPolicy"/> in
    /// <see cref="TcpServerBuilder.ConfigureTls"/> for more). Defaults to <see langword="null"/>: the system's roots.
    /// </summary>
    public string? ClientCertificateAuthorityPath { get; set; }

    /// <summary>Gets or sets <see cref="TlsServerOptions.HandshakeTimeout"/>. Defaults to 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = s_defaults.HandshakeTimeout;

    /// <summary>Gets or sets <see cref="TlsServerOptions.EnabledProtocols"/> (<c>Tls12, Tls13</c>, or one of them). Defaults to both.</summary>
    public SslProtocols EnabledProtocols { get; set; } = s_defaults.EnabledProtocols;
}
