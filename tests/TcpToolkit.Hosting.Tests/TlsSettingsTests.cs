using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;
using TcpToolkit.Testing;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Hosting.Tests;

/// <summary>TLS from configuration: a certificate file (PKCS#12 or PEM) made by the test, client certificates.</summary>
public sealed class TlsSettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tcptoolkit-hosting-tls-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Tls_Pkcs12FileWithPassword_ServesTlsToAClientThatTrustsItsAuthority()
    {
        var ct = TestTimeouts.Token();
        var pfx = Write("server.pfx", TestCertificates.Localhost.Export(X509ContentType.Pfx, "secret"));
        using var host = TestHosts.BuildEcho(new Dictionary<string, string?>
        {
            ["TcpServer:Tls:CertificatePath"] = pfx,
            ["TcpServer:Tls:CertificatePassword"] = "secret",
        });
        await host.StartAsync(ct);

        var (reply, session) = await EchoOverTlsAsync(host.TcpServer().LocalEndPoints[0], clientCertificate: null, ct);

        reply.Should().Be("hello over tls");
        session.RemoteCertificate!.Thumbprint.Should().Be(TestCertificates.Localhost.Thumbprint);
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task Tls_PemCertificateAndKeyFiles_RelativeToTheContentRoot_ServeTls()
    {
        var ct = TestTimeouts.Token();
        Write("server.crt", Encoding.ASCII.GetBytes(TestCertificates.Localhost.ExportCertificatePem()));
        Write("server.key", Encoding.ASCII.GetBytes(TestCertificates.Localhost.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem()));
        using var host = TestHosts.BuildEcho(
            new Dictionary<string, string?>
            {
                ["TcpServer:Tls:CertificatePath"] = "server.crt",
                ["TcpServer:Tls:CertificateKeyPath"] = "server.key",
                ["TcpServer:Tls:EnabledProtocols"] = "Tls13",
            },
            builder => builder.Environment.ContentRootPath = _folder);
        await host.StartAsync(ct);

        var (reply, session) = await EchoOverTlsAsync(host.TcpServer().LocalEndPoints[0], clientCertificate: null, ct);

        reply.Should().Be("hello over tls");
        session.Protocol.Should().Be(System.Security.Authentication.SslProtocols.Tls13);
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task Tls_ClientCertificateRequiredWithAnAuthorityFile_TheHandlerSeesTheClientsCertificate()
    {
        var ct = TestTimeouts.Token();
        var pfx = Write("server.pfx", TestCertificates.Localhost.Export(X509ContentType.Pfx));
        var authority = Write("clients-ca.pem", Encoding.ASCII.GetBytes(TestCertificates.Authority.ExportCertificatePem()));
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = TestHosts.Build(
            new Dictionary<string, string?>
            {
                ["TcpServer:EndPoints:0"] = "127.0.0.1:0",
                ["TcpServer:Tls:CertificatePath"] = pfx,
                ["TcpServer:Tls:ClientCertificateMode"] = "Require",
                ["TcpServer:Tls:ClientCertificateAuthorityPath"] = authority,
            },
            server => server.UseHandler((connection, token) =>
            {
                seen.TrySetResult(connection.GetFeature<TlsConnectionInfo>()?.RemoteCertificate?.Subject);
                return TestHosts.EchoAsync(connection, token);
            }));
        await host.StartAsync(ct);

        var (reply, _) = await EchoOverTlsAsync(host.TcpServer().LocalEndPoints[0], TestCertificates.Client, ct);

        reply.Should().Be("hello over tls");
        (await seen.Task.WaitAsync(ct)).Should().Be("CN=tls-test-client");
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task Tls_WrongPassword_FailsTheStartNamingTheSetting()
    {
        var pfx = Write("server.pfx", TestCertificates.Localhost.Export(X509ContentType.Pfx, "secret"));
        using var host = TestHosts.BuildEcho(new Dictionary<string, string?>
        {
            ["TcpServer:Tls:CertificatePath"] = pfx,
            ["TcpServer:Tls:CertificatePassword"] = "wrong",
        });

        var start = () => host.StartAsync(TestTimeouts.Token());

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should()
            .Contain($"TcpServer:Tls:CertificatePath '{pfx}' could not be loaded with TcpServer:Tls:CertificatePassword");
    }

    [Fact]
    public async Task ConfigureTls_CertificateFromCode_TurnsTlsOn()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" },
            server => server.UseHandler(TestHosts.EchoAsync).ConfigureTls((_, tls) => tls.ServerCertificate = TestCertificates.Localhost));
        await host.StartAsync(ct);

        var (reply, _) = await EchoOverTlsAsync(host.TcpServer().LocalEndPoints[0], clientCertificate: null, ct);

        reply.Should().Be("hello over tls");
        await host.StopAsync(ct);
    }

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static async Task<(string Reply, TlsConnectionInfo Session)> EchoOverTlsAsync(System.Net.EndPoint endPoint, X509Certificate2? clientCertificate, CancellationToken ct)
    {
        var tls = new TlsClientOptions { TargetHost = "localhost", CertificateChainPolicy = TestCertificates.TrustTestAuthority() };
        if (clientCertificate is not null)
        {
            tls.ClientCertificates.Add(clientCertificate);
        }

        var options = new TcpClientOptions();
        options.Middleware.UseTls(tls);
        await using var client = new TcpClient(options);
        await using var connection = await client.ConnectAsync(endPoint, ct);
        await connection.SendAsync("hello over tls"u8.ToArray(), ct);
        var reply = new byte[14];
        int read;
        for (var got = 0; got < reply.Length; got += read)
        {
            read = await connection.ReceiveAsync(reply.AsMemory(got), ct);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }
        }

        return (Encoding.ASCII.GetString(reply), connection.GetFeature<TlsConnectionInfo>()!);
    }
}
