using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using TcpToolkit.Testing;
using TcpToolkit.Tls;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>Mutual TLS on loopback sockets: client certificates required, allowed, accepted and rejected.</summary>
public sealed class TlsMutualTests
{
    private const int HandshakeFailed = 701;

    public static TheoryData<SslProtocols> Protocols => [SslProtocols.Tls12, SslProtocols.Tls13];

    [Fact]
    public async Task Require_TrustedClientCertificate_HandlerSeesItInTheFeature()
    {
        var ct = TestServers.Timeout();
        var seen = new TaskCompletionSource<X509Certificate2?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TlsTesting.StartServerAsync(
            async (connection, stopping) =>
            {
                seen.TrySetResult(connection.GetFeature<TlsConnectionInfo>()?.RemoteCertificate);
                await TestServers.EchoAsync(connection, stopping);
            },
            RequireClientCertificates());
        var tls = TlsTesting.ClientOptions();
        tls.ClientCertificates.Add(TestCertificates.Client);
        await using var client = TlsTesting.CreateClient(tls);

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        (await TlsTesting.EchoAsync(connection, "mutual"u8.ToArray(), ct)).Should().Equal("mutual"u8.ToArray());
        var certificate = await seen.Task.WaitAsync(ct);
        certificate.Should().NotBeNull();
        certificate!.Thumbprint.Should().Be(TestCertificates.Client.Thumbprint);
        certificate.Subject.Should().Be("CN=tls-test-client");
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task Require_NoClientCertificate_Rejected(SslProtocols protocol)
        => AssertRejectedAsync(protocol, clientCertificate: null);

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task Require_CertificateFromAnUntrustedAuthority_Rejected(SslProtocols protocol)
        => AssertRejectedAsync(protocol, TestCertificates.CreateClient(TestCertificates.UntrustedAuthority, "CN=intruder"));

    [Fact]
    public async Task Allow_NoClientCertificate_AcceptedWithoutACertificate()
    {
        var ct = TestServers.Timeout();
        var seen = new TaskCompletionSource<TlsConnectionInfo?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tls = RequireClientCertificates();
        tls.ClientCertificateMode = ClientCertificateMode.Allow;
        await using var server = await TlsTesting.StartServerAsync(
            async (connection, stopping) =>
            {
                seen.TrySetResult(connection.GetFeature<TlsConnectionInfo>());
                await TestServers.EchoAsync(connection, stopping);
            },
            tls);
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        (await TlsTesting.EchoAsync(connection, "anonymous"u8.ToArray(), ct)).Should().Equal("anonymous"u8.ToArray());
        var info = await seen.Task.WaitAsync(ct);
        info.Should().NotBeNull();
        info!.RemoteCertificate.Should().BeNull();
    }

    [Fact]
    public async Task Require_ValidationCallback_DecidesInsteadOfTheChain()
    {
        var ct = TestServers.Timeout();
        var errorsSeen = new TaskCompletionSource<SslPolicyErrors>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pinned = TestCertificates.CreateClient(TestCertificates.UntrustedAuthority, "CN=pinned-client");
        var tls = new TlsServerOptions
        {
            ServerCertificate = TestCertificates.Localhost,
            ClientCertificateMode = ClientCertificateMode.Require,
            ClientCertificateValidation = (certificate, _, errors) =>
            {
                errorsSeen.TrySetResult(errors);
                return certificate.Thumbprint == pinned.Thumbprint;
            },
        };
        await using var server = await TlsTesting.StartServerAsync(TestServers.EchoAsync, tls);
        var clientTls = TlsTesting.ClientOptions();
        clientTls.ClientCertificates.Add(pinned);
        await using var client = TlsTesting.CreateClient(clientTls);

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        (await TlsTesting.EchoAsync(connection, "pinned"u8.ToArray(), ct)).Should().Equal("pinned"u8.ToArray());
        (await errorsSeen.Task.WaitAsync(ct)).Should().HaveFlag(SslPolicyErrors.RemoteCertificateChainErrors);
    }

    private static TlsServerOptions RequireClientCertificates() => new()
    {
        ServerCertificate = TestCertificates.Localhost,
        ClientCertificateMode = ClientCertificateMode.Require,
        CertificateChainPolicy = TestCertificates.TrustTestAuthority(),
    };

    private static async Task AssertRejectedAsync(SslProtocols protocol, X509Certificate2? clientCertificate)
    {
        var ct = TestServers.Timeout();
        var events = new EventSignalLoggerProvider();
        var tls = RequireClientCertificates();
        tls.LoggerFactory = events;
        var handled = 0;
        await using var server = await TlsTesting.StartServerAsync(
            (connection, stopping) =>
            {
                Interlocked.Increment(ref handled);
                return TestServers.EchoAsync(connection, stopping);
            },
            tls);
        var clientTls = TlsTesting.ClientOptions();
        clientTls.EnabledProtocols = protocol;
        if (clientCertificate is not null)
        {
            clientTls.ClientCertificates.Add(clientCertificate);
        }

        await using var client = TlsTesting.CreateClient(clientTls);

        // SslStream judges the peer's certificate once its own handshake messages are done, so the client may finish
        // its handshake before the server has judged the client's certificate (always with TLS 1.3, and with TLS 1.2
        // on OpenSSL too). The rejection then reaches the client as a failed ConnectAsync, a failed first exchange
        // (the server's alert, or its abort's reset), or an EOF before any echo: never as an echo.
        byte[]? echoed = null;
        Exception? error = null;
        try
        {
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            echoed = await TlsTesting.EchoAsync(connection, "let me in"u8.ToArray(), ct);
        }
        catch (IOException ex)
        {
            error = ex;
        }

        (error is not null || echoed is { Length: 0 }).Should().BeTrue($"the server rejected the client (error: {error?.GetType().Name}, echoed: {echoed?.Length} bytes)");
        await events.WaitForAsync(HandshakeFailed, 1).WaitAsync(ct);
        Volatile.Read(ref handled).Should().Be(0, "the handler never runs for a rejected client");
    }
}
