using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TcpToolkit.Testing;
using TcpToolkit.Tls;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>The README's TLS example is the code compiled and run here, line for line.</summary>
public sealed class TlsReadmeExampleTests
{
    [Fact]
    public void ReadmeExample_InTheTlsSection_IsTheCodeCompiledHere()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var start = readme.IndexOf("### TLS", StringComparison.Ordinal);
        start.Should().BePositive("the README has a TLS section");
        var code = readme[(readme.IndexOf("```csharp\n", start, StringComparison.Ordinal) + "```csharp\n".Length)..];
        code = code[..code.IndexOf("```", StringComparison.Ordinal)];
        var body = code.Split('\n').Where(l => !l.StartsWith("using ", StringComparison.Ordinal)).Select(l => l.Trim()).Where(l => l.Length > 0);

        var source = File.ReadAllText(Path.Combine(Repository.Root, "tests", "TcpToolkit.IntegrationTests", "Tls", "TlsReadmeExampleTests.cs"));
        var region = source[source.LastIndexOf("// ---- README: from here ----", StringComparison.Ordinal)..source.LastIndexOf("// ---- README: to here ----", StringComparison.Ordinal)];
        var compiled = region.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0);

        body.Should().Equal(compiled, "the README's TLS example must be the code compiled (and run) below");
    }

    [Fact]
    public async Task ReadmeExample_ServerAndClient_HandshakeAndTheHandlerSeesTheSession()
    {
        var certificate = TestCertificates.Localhost;
        var authority = TestCertificates.Authority;

        // The README's code as it stands, so without the test's cancellation token.
#pragma warning disable xUnit1051
        // ---- README: from here ----
        // Server: the handshake runs before the handler, which sees plaintext and what was negotiated.
        var tls = new TlsServerOptions { ServerCertificate = certificate };   // an X509Certificate2 with its private key
        var serverOptions = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 0) } };
        serverOptions.Middleware.UseTls(tls);
        await using var server = new TcpServer(serverOptions, async (connection, stopping) =>
        {
            var session = connection.GetFeature<TlsConnectionInfo>()!;   // Protocol, CipherSuite, HostName (SNI), ApplicationProtocol, RemoteCertificate
            await connection.SendAsync(Encoding.UTF8.GetBytes($"{session.Protocol} with {session.HostName}\n"), stopping);
        });
        await server.StartAsync();

        // Client: ConnectAsync returns after the handshake, or throws TlsHandshakeException.
        var trust = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };   // a CA without CRLs
        trust.CustomTrustStore.Add(authority);   // your own CA; without a policy the system's roots are trusted
        var clientOptions = new TcpClientOptions();
        clientOptions.Middleware.UseTls(new TlsClientOptions { TargetHost = "localhost", CertificateChainPolicy = trust });
        await using var client = new TcpClient(clientOptions);
        await using var connection = await client.ConnectAsync(server.LocalEndPoint);
        // ---- README: to here ----
#pragma warning restore xUnit1051

        var received = await TestServers.ReadToEndAsync(connection, TestServers.Timeout());
        Encoding.UTF8.GetString(received).Should().Be("Tls13 with localhost\n");
    }
}
