using System.Security.Cryptography.X509Certificates;
using TcpToolkit.Connections;
using TcpToolkit.Testing;
using TcpToolkit.Tls;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>TLS servers and clients over loopback sockets, with the in-memory test PKI.</summary>
internal static class TlsTesting
{
    /// <summary>Server options presenting <paramref name="certificate"/> (the test CA's localhost certificate by default).</summary>
    public static TlsServerOptions ServerOptions(X509Certificate2? certificate = null)
        => new() { ServerCertificate = certificate ?? TestCertificates.Localhost };

    /// <summary>Client options for <paramref name="targetHost"/> that trust the test CA (strictly: chain and name).</summary>
    public static TlsClientOptions ClientOptions(string targetHost = "localhost")
        => new() { TargetHost = targetHost, CertificateChainPolicy = TestCertificates.TrustTestAuthority() };

    public static Task<TcpServer> StartServerAsync(ConnectionHandler handler, TlsServerOptions tls, Action<TcpServerOptions>? configure = null)
        => TestServers.StartAsync(handler, options =>
        {
            options.Middleware.UseTls(tls);
            configure?.Invoke(options);
        });

    public static TcpClient CreateClient(TlsClientOptions tls)
    {
        var options = new TcpClientOptions();
        options.Middleware.UseTls(tls);
        return new TcpClient(options);
    }

    /// <summary>Sends <paramref name="payload"/>, half-closes, and returns everything the peer sent back until its EOF.</summary>
    public static async Task<byte[]> EchoAsync(Connection connection, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var reading = TestServers.ReadToEndAsync(connection, cancellationToken);
        await connection.SendAsync(payload, cancellationToken);
        await connection.Output.CompleteAsync();
        return await reading.WaitAsync(TestTimeouts.Default, cancellationToken);
    }
}
