using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace TcpToolkit.Tls;

/// <summary>
/// What a TLS handshake negotiated: the connection feature the TLS middleware sets on both sides once the handshake
/// succeeded. Read it with <c>connection.GetFeature&lt;TlsConnectionInfo&gt;()</c>; it is <see langword="null"/> on a
/// connection without TLS.
/// </summary>
public sealed class TlsConnectionInfo
{
    internal TlsConnectionInfo(
        bool isServer,
        SslProtocols protocol,
        TlsCipherSuite cipherSuite,
        string? hostName,
        SslApplicationProtocol applicationProtocol,
        X509Certificate2? remoteCertificate)
    {
        IsServer = isServer;
        Protocol = protocol;
        CipherSuite = cipherSuite;
        HostName = hostName;
        ApplicationProtocol = applicationProtocol;
        RemoteCertificate = remoteCertificate;
    }

    /// <summary>Gets whether this side of the connection is the TLS server.</summary>
    public bool IsServer { get; }

    /// <summary>Gets the negotiated protocol version (<see cref="SslProtocols.Tls12"/> or <see cref="SslProtocols.Tls13"/>).</summary>
    public SslProtocols Protocol { get; }

    /// <summary>Gets the negotiated cipher suite.</summary>
    public TlsCipherSuite CipherSuite { get; }

    /// <summary>
    /// Gets the host name of the handshake (SNI): on a server the name the client asked for, or <see langword="null"/>
    /// when it sent none (a client connecting to an IP address sends none); on a client its
    /// <see cref="TlsClientOptions.TargetHost"/>.
    /// </summary>
    public string? HostName { get; }

    /// <summary>
    /// Gets the application protocol agreed through ALPN, or <c>default</c> (an empty protocol) when the two sides
    /// agreed none.
    /// </summary>
    public SslApplicationProtocol ApplicationProtocol { get; }

    /// <summary>
    /// Gets the peer's certificate: on a server the client certificate (<see langword="null"/> when the client sent
    /// none, always so with <see cref="ClientCertificateMode.None"/>), on a client the server's certificate. It was
    /// validated before the handshake succeeded.
    /// </summary>
    public X509Certificate2? RemoteCertificate { get; }
}
