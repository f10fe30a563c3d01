using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using TcpToolkit.Tls;

namespace TcpToolkit.Cli;

/// <summary>
/// TLS for tcptk's commands, through the library's middleware (<see cref="TlsConnectionBuilderExtensions"/>): the
/// server's certificate and options for <c>listen</c> and <c>echo-server</c>, the client's options for <c>connect</c>
/// and <c>bench</c>.
/// </summary>
internal static class Tls
{
    /// <summary>
    /// Client options for <paramref name="host"/>: the server's certificate must validate for it against the system's
    /// roots, unless <paramref name="insecure"/> (a test server with a throwaway certificate).
    /// </summary>
    public static TlsClientOptions ClientOptions(string host, bool insecure)
    {
        var options = new TlsClientOptions { TargetHost = host };
        if (insecure)
        {
            // --insecure: the user asked to skip validation; without it the middleware's strict default stays on.
            options.RemoteCertificateValidation = (_, _, _) => true;
        }

        return options;
    }

    /// <summary>
    /// A throwaway self-signed certificate for localhost (ECDSA P-256, CN and SAN localhost, SAN 127.0.0.1), valid
    /// for a day; made in memory, never written anywhere. The benchmark's Kestrel peer makes the same kind.
    /// </summary>
    public static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }
}

/// <summary>
/// A server's TLS: the certificate from <c>--cert</c> (a PFX: the certificate with a private key is the server's, the
/// others are sent as its intermediates) or a throwaway self-signed one, and the middleware's options. Disposing it
/// releases the certificates (after the server has stopped).
/// </summary>
internal sealed class ServerTls : IDisposable
{
    private readonly X509Certificate2Collection _certificates;

    private ServerTls(X509Certificate2Collection certificates, X509Certificate2 certificate, ILoggerFactory? loggerFactory)
    {
        _certificates = certificates;
        Certificate = certificate;
        Options = new TlsServerOptions { ServerCertificate = certificate };
        Options.ServerCertificateChain.AddRange(certificates.Where(c => !ReferenceEquals(c, certificate)).ToArray());
        if (loggerFactory is not null)
        {
            Options.LoggerFactory = loggerFactory;
        }
    }

    /// <summary>Gets the server certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the options for <c>UseTls</c>.</summary>
    public TlsServerOptions Options { get; }

    /// <summary>Gets the certificate as the commands print it: subject and SHA-256 thumbprint.</summary>
    public string Description => Certificate.Subject + ", SHA-256 " + Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>Loads <paramref name="settings"/>' PFX, or makes a throwaway self-signed certificate for localhost.</summary>
    /// <exception cref="CryptographicException">The PFX cannot be read (wrong password, not a PFX) or holds no private key.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static ServerTls Create(TlsSettings settings, ILoggerFactory? loggerFactory = null)
    {
        if (settings.CertificatePath is null)
        {
            var selfSigned = Tls.SelfSigned();
            return new ServerTls([selfSigned], selfSigned, loggerFactory);
        }

        var certificates = X509CertificateLoader.LoadPkcs12CollectionFromFile(settings.CertificatePath, settings.CertificatePassword);
        var certificate = certificates.FirstOrDefault(c => c.HasPrivateKey);
        if (certificate is null)
        {
            foreach (var loaded in certificates)
            {
                loaded.Dispose();
            }

            throw new CryptographicException(settings.CertificatePath + " holds no certificate with a private key.");
        }

        return new ServerTls(certificates, certificate, loggerFactory);
    }

    public void Dispose()
    {
        foreach (var certificate in _certificates)
        {
            certificate.Dispose();
        }
    }
}

/// <summary>TLS for a command: <see langword="null"/> means plain TCP.</summary>
/// <param name="CertificatePath">Servers: a PFX file; without one a throwaway self-signed certificate for localhost is made.</param>
/// <param name="CertificatePassword">Servers: the PFX password.</param>
/// <param name="Insecure">Clients: accept any server certificate.</param>
internal sealed record TlsSettings(string? CertificatePath = null, string? CertificatePassword = null, bool Insecure = false);
