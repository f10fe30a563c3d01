namespace TcpToolkit.Tls;

/// <summary>Whether a TLS server asks its clients for a certificate (mutual TLS), and whether it insists on one.</summary>
public enum ClientCertificateMode
{
    /// <summary>The server does not ask for a client certificate.</summary>
    None = 0,

    /// <summary>
    /// The server asks for a client certificate but accepts a client that sends none; a certificate that is sent must
    /// be valid (see <see cref="TlsServerOptions.ClientCertificateValidation"/>).
    /// </summary>
    Allow,

    /// <summary>The server asks for a client certificate and fails the handshake of a client that sends none or an invalid one.</summary>
    Require,
}
