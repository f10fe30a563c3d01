using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TcpToolkit.Hosting.Internal;

/// <summary>Loads the certificates that <see cref="TcpServerTlsSettings"/> names.</summary>
internal static class CertificateLoader
{
    /// <summary>
    /// Loads a server certificate with its private key and the intermediates that came with it: from a PEM file (the
    /// key in <paramref name="keyPath"/> or the same file) or a PKCS#12 file.
    /// </summary>
    /// <exception cref="CryptographicException">The file is not a certificate, the password is wrong, or the key is missing.</exception>
    /// <exception cref="IOException">A file could not be read.</exception>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadServerCertificate(string path, string? keyPath, string? password)
    {
        var chain = new X509Certificate2Collection();
        X509Certificate2 certificate;
        if (keyPath is not null || IsPem(path))
        {
            using var pem = password is null
                ? X509Certificate2.CreateFromPemFile(path, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);

            // A PEM key is ephemeral, which SslStream cannot use on Windows; through PKCS#12 it is a usable one on every
            // OS (Kestrel does the same).
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
            var bundle = new X509Certificate2Collection();
            bundle.ImportFromPemFile(path);
            foreach (var other in bundle)
            {
                if (other.Thumbprint == certificate.Thumbprint)
                {
                    other.Dispose();
                }
                else
                {
                    chain.Add(other);
                }
            }
        }
        else
        {
            var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
            X509Certificate2? withKey = null;
            foreach (var candidate in all)
            {
                if (withKey is null && candidate.HasPrivateKey)
                {
                    withKey = candidate;
                }
                else
                {
                    chain.Add(candidate);
                }
            }

            certificate = withKey ?? throw Dispose(chain, new CryptographicException("The PKCS#12 file has no certificate with a private key."));
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw Dispose(chain, new CryptographicException("The certificate has no private key."));
        }

        return (certificate, chain);
    }

    /// <summary>Loads the certificates of a PEM (or DER) file of certificate authorities.</summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        if (IsPem(path))
        {
            authorities.ImportFromPemFile(path);
        }
        else
        {
            authorities.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        }

        if (authorities.Count == 0)
        {
            throw new CryptographicException("The file holds no certificate.");
        }

        return authorities;
    }

    /// <summary>Disposes every certificate of a collection.</summary>
    public static void DisposeAll(X509Certificate2Collection certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    private static CryptographicException Dispose(X509Certificate2Collection certificates, CryptographicException exception)
    {
        DisposeAll(certificates);
        return exception;
    }

    private static bool IsPem(string path)
    {
        // A PEM file is text with "-----BEGIN"; a PKCS#12 or DER file is binary ASN.1 (it starts with 0x30).
        Span<byte> head = stackalloc byte[1024];
        using var file = File.OpenRead(path);
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..read].IndexOf("-----BEGIN"u8) >= 0;
    }
}
