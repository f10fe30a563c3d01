using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TcpToolkit.Connections;

namespace TcpToolkit.Cli;

/// <summary>TLS for <c>listen</c>/<c>connect</c>: an <see cref="SslStream"/> over the connection's pipes.</summary>
internal static class Tls
{
    /// <summary>Loads <paramref name="path"/> (PFX), or makes a throwaway self-signed certificate for localhost.</summary>
    public static X509Certificate2 ServerCertificate(string? path, string? password)
    {
        if (path is not null)
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    public static async Task<SslStream> AuthenticateAsServerAsync(Connection connection, X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new DuplexStream(connection.Input.AsStream(leaveOpen: true), connection.Output.AsStream(leaveOpen: true)), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
        return ssl;
    }

    public static async Task<SslStream> AuthenticateAsClientAsync(Connection connection, string host, bool insecure, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new DuplexStream(connection.Input.AsStream(leaveOpen: true), connection.Output.AsStream(leaveOpen: true)), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions { TargetHost = host };
        if (insecure)
        {
            // --insecure: the user asked to skip validation (a test server with a throwaway certificate).
#pragma warning disable CA5359 // Accepting any certificate is exactly what --insecure asks for; without it validation stays on.
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        await ssl.AuthenticateAsClientAsync(options, cancellationToken);
        return ssl;
    }

    /// <summary>Reads from one stream and writes to another: the connection's input and output as one stream.</summary>
    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => input.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => output.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => output.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
