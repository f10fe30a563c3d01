using System.Security.Cryptography.X509Certificates;

namespace TcpToolkit.Tls.Internal;

/// <summary>Certificate helpers both sides share.</summary>
internal static class TlsCertificates
{
    /// <summary>The certificate as an <see cref="X509Certificate2"/> (which SslStream hands out on every platform today).</summary>
    public static X509Certificate2? AsCertificate2(X509Certificate? certificate) => certificate switch
    {
        null => null,
        X509Certificate2 certificate2 => certificate2,
        _ => X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()),
    };
}
