using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TcpToolkit.Benchmarks.Peers;

/// <summary>
/// The TLS peers' certificate, made in memory at start and never written anywhere: the same kind as
/// <c>tcptk echo-server --tls</c> makes (ECDSA P-256 signed with SHA-256, CN and SAN localhost, SAN 127.0.0.1, valid
/// for a day), so both sides of the comparison sign their handshakes with the same algorithm and key size.
/// </summary>
internal static class SelfSignedCertificate
{
    public static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    /// <summary>The certificate as the servers' first line shows it: subject and SHA-256 thumbprint.</summary>
    public static string Describe(X509Certificate2 certificate)
        => certificate.Subject + ", SHA-256 " + certificate.GetCertHashString(HashAlgorithmName.SHA256);
}
