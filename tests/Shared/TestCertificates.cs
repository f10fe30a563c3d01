using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TcpToolkit.Testing;

/// <summary>
/// A throwaway PKI made in memory for the TLS tests: a test certificate authority, leaf certificates it issues
/// (server names as SANs, client certificates), and a second authority nobody trusts. Nothing is written to disk and
/// no key is committed. Each certificate goes through PFX and back so SslStream on Linux gets a usable private key.
/// </summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_authority = new(() => CreateAuthority("CN=TcpToolkit Test CA"));
    private static readonly Lazy<X509Certificate2> s_untrustedAuthority = new(() => CreateAuthority("CN=TcpToolkit Untrusted CA"));
    private static readonly Lazy<X509Certificate2> s_localhost = new(() => CreateServer(Authority, "localhost"));
    private static readonly Lazy<X509Certificate2> s_client = new(() => CreateClient(Authority, "CN=tls-test-client"));

    /// <summary>Gets the test certificate authority (with its key): the root the tests trust.</summary>
    public static X509Certificate2 Authority => s_authority.Value;

    /// <summary>Gets an authority the tests never trust.</summary>
    public static X509Certificate2 UntrustedAuthority => s_untrustedAuthority.Value;

    /// <summary>Gets a server certificate from <see cref="Authority"/> for <c>localhost</c> and 127.0.0.1.</summary>
    public static X509Certificate2 Localhost => s_localhost.Value;

    /// <summary>Gets a client certificate (client-authentication EKU) from <see cref="Authority"/>.</summary>
    public static X509Certificate2 Client => s_client.Value;

    /// <summary>A chain policy that trusts <see cref="Authority"/> only, as a private PKI would be configured.</summary>
    public static X509ChainPolicy TrustTestAuthority()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(Authority);
        return policy;
    }

    /// <summary>Issues a server certificate for <paramref name="dnsName"/> (and 127.0.0.1), with a distinct subject.</summary>
    public static X509Certificate2 CreateServer(X509Certificate2 issuer, string dnsName, string? subject = null)
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        names.AddIpAddress(IPAddress.Loopback);
        return Issue(issuer, subject ?? "CN=" + dnsName, names.Build(), "1.3.6.1.5.5.7.3.1");
    }

    /// <summary>Issues a client certificate.</summary>
    public static X509Certificate2 CreateClient(X509Certificate2 issuer, string subject)
        => Issue(issuer, subject, extension: null, "1.3.6.1.5.5.7.3.2");

    /// <summary>The certificate in PEM (no key), for tools that read PEM trust files (openssl, the EchoClient sample).</summary>
    public static string ToPem(X509Certificate2 certificate) => certificate.ExportCertificatePem();

    /// <summary>Issues an intermediate authority under <paramref name="issuer"/> (it may issue leaf certificates only).</summary>
    public static X509Certificate2 CreateIntermediate(X509Certificate2 issuer, string subject) => CreateAuthority(subject, issuer);

    private static X509Certificate2 CreateAuthority(string subject, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(issuer is null
            ? new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true)
            : new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        if (issuer is null)
        {
            using var selfSigned = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
            return RoundTrip(selfSigned);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(issuer, now.AddDays(-1), now.AddDays(20), NewSerial());
        using var withKey = issued.CopyWithPrivateKey(key);
        return RoundTrip(withKey);
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, X509Extension? extension, string usageOid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (extension is not null)
        {
            request.CertificateExtensions.Add(extension);
        }

        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(issuer, now.AddDays(-1), now.AddDays(7), NewSerial());
        using var withKey = issued.CopyWithPrivateKey(key);
        return RoundTrip(withKey);
    }

    private static byte[] NewSerial()
    {
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        return serial;
    }

    /// <summary>Export and import as PFX in memory: the key becomes a persisted one that OpenSSL-backed SslStream can use.</summary>
    private static X509Certificate2 RoundTrip(X509Certificate2 certificate)
        => X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
}
