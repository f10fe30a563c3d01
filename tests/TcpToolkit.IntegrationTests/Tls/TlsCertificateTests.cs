using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using TcpToolkit.Connections;
using TcpToolkit.Testing;
using TcpToolkit.Tls;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>Server certificate validation by the client, SNI selection and certificate renewal, on loopback sockets.</summary>
public sealed class TlsCertificateTests
{
    private const int NoServerCertificate = 703;

    [Fact]
    public async Task ConnectAsync_UntrustedServerCertificateDefaultClient_ThrowsTlsHandshakeExceptionAndTheServerKeepsServing()
    {
        var ct = TestServers.Timeout();
        var rejectedClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = 0;
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, options =>
        {
            options.Middleware.Use(next => (connection, stopping) =>
            {
                if (Interlocked.Increment(ref accepted) == 1)
                {
                    connection.ConnectionClosed.Register(rejectedClosed.SetResult);
                }

                return next(connection, stopping);
            });
            options.Middleware.UseTls(TlsTesting.ServerOptions());
        });

        // The default client trusts the system's roots only; the test CA is not one of them.
        await using (var strict = TlsTesting.CreateClient(new TlsClientOptions { TargetHost = "localhost" }))
        {
            var connect = async () => await strict.ConnectAsync(server.LocalEndPoint, ct);

            var thrown = await connect.Should().ThrowAsync<TlsHandshakeException>();
            thrown.Which.InnerException.Should().BeOfType<AuthenticationException>();
            thrown.Which.Message.Should().Contain("'localhost'");
        }

        // The client judges the certificate after its handshake messages are done (SslStream's way), so the server
        // may have finished its side; either way the client's abort closes that connection, and only that one.
        await rejectedClosed.Task.WaitAsync(ct);
        await using var trusting = TlsTesting.CreateClient(TlsTesting.ClientOptions());
        await using var connection = await trusting.ConnectAsync(server.LocalEndPoint, ct);
        (await TlsTesting.EchoAsync(connection, "still serving"u8.ToArray(), ct)).Should().Equal("still serving"u8.ToArray());
    }

    [Fact]
    public async Task ConnectAsync_TrustedCertificateForAnotherName_ThrowsTlsHandshakeException()
    {
        var ct = TestServers.Timeout();
        await using var server = await TlsTesting.StartServerAsync(TestServers.EchoAsync, TlsTesting.ServerOptions());
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions("not-localhost.test"));

        var connect = async () => await client.ConnectAsync(server.LocalEndPoint, ct);

        (await connect.Should().ThrowAsync<TlsHandshakeException>()).Which.InnerException.Should().BeOfType<AuthenticationException>();
    }

    [Fact]
    public async Task ConnectAsync_ValidationCallback_DecidesWithTheErrorsFound()
    {
        var ct = TestServers.Timeout();
        await using var server = await TlsTesting.StartServerAsync(TestServers.EchoAsync, TlsTesting.ServerOptions());
        var seen = SslPolicyErrors.None;
        X509Certificate2? seenCertificate = null;
        var options = new TlsClientOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidation = (certificate, _, errors) =>
            {
                // A caller-written pinning check: this exact certificate, whatever the chain says.
                seen = errors;
                seenCertificate = certificate;
                return certificate.Thumbprint == TestCertificates.Localhost.Thumbprint;
            },
        };
        await using var client = TlsTesting.CreateClient(options);

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        seen.Should().HaveFlag(SslPolicyErrors.RemoteCertificateChainErrors, "the test CA is not a system root");
        seenCertificate!.Thumbprint.Should().Be(TestCertificates.Localhost.Thumbprint);
        (await TlsTesting.EchoAsync(connection, "pinned"u8.ToArray(), ct)).Should().Equal("pinned"u8.ToArray());
    }

    [Fact]
    public async Task ServerCertificateSelector_TwoHostNames_EachClientGetsItsCertificate()
    {
        var ct = TestServers.Timeout();
        var alpha = TestCertificates.CreateServer(TestCertificates.Authority, "alpha.test");
        var beta = TestCertificates.CreateServer(TestCertificates.Authority, "beta.test");
        var serverSawHosts = new List<string?>();
        var tls = new TlsServerOptions
        {
            ServerCertificateSelector = (_, hostName) => hostName switch
            {
                "alpha.test" => alpha,
                "beta.test" => beta,
                _ => null,
            },
        };
        await using var server = await TlsTesting.StartServerAsync(
            async (connection, stopping) =>
            {
                lock (serverSawHosts)
                {
                    serverSawHosts.Add(connection.GetFeature<TlsConnectionInfo>()!.HostName);
                }

                await TestServers.EchoAsync(connection, stopping);
            },
            tls);

        foreach (var (host, expected) in new[] { ("alpha.test", alpha), ("beta.test", beta) })
        {
            await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions(host));
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            var info = connection.GetFeature<TlsConnectionInfo>()!;

            info.RemoteCertificate!.Thumbprint.Should().Be(expected.Thumbprint, $"SNI '{host}' selects its own certificate");
            info.HostName.Should().Be(host);
            (await TlsTesting.EchoAsync(connection, "sni"u8.ToArray(), ct)).Should().Equal("sni"u8.ToArray());
        }

        lock (serverSawHosts)
        {
            serverSawHosts.Should().Equal("alpha.test", "beta.test");
        }
    }

    [Fact]
    public async Task ServerCertificateSelector_UnknownHostNameAndNoDefault_HandshakeFailsWithAWarning()
    {
        var ct = TestServers.Timeout();
        var events = new EventSignalLoggerProvider();
        var tls = new TlsServerOptions { ServerCertificateSelector = (_, _) => null, LoggerFactory = events };
        await using var server = await TlsTesting.StartServerAsync(TestServers.EchoAsync, tls);
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions("unknown.test"));

        var connect = async () => await client.ConnectAsync(server.LocalEndPoint, ct);

        await connect.Should().ThrowAsync<TlsHandshakeException>();
        await events.WaitForAsync(NoServerCertificate, 1).WaitAsync(ct);
    }

    [Fact]
    public async Task ServerCertificateChain_LeafFromAnIntermediate_SentSoAClientTrustingOnlyTheRootValidates()
    {
        var ct = TestServers.Timeout();
        var intermediate = TestCertificates.CreateIntermediate(TestCertificates.Authority, "CN=TcpToolkit Test Intermediate");
        var leaf = TestCertificates.CreateServer(intermediate, "localhost", "CN=localhost via intermediate");
        var withChain = TlsTesting.ServerOptions(leaf);
        withChain.ServerCertificateChain.Add(intermediate);
        await using var complete = await TlsTesting.StartServerAsync(TestServers.EchoAsync, withChain);
        await using var incomplete = await TlsTesting.StartServerAsync(TestServers.EchoAsync, TlsTesting.ServerOptions(leaf));
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());

        await using (var connection = await client.ConnectAsync(complete.LocalEndPoint, ct))
        {
            connection.GetFeature<TlsConnectionInfo>()!.RemoteCertificate!.Subject.Should().Be("CN=localhost via intermediate");
            (await TlsTesting.EchoAsync(connection, "chained"u8.ToArray(), ct)).Should().Equal("chained"u8.ToArray());
        }

        var withoutIntermediate = async () => await client.ConnectAsync(incomplete.LocalEndPoint, ct);
        await withoutIntermediate.Should().ThrowAsync<TlsHandshakeException>("the client cannot link the leaf to the root without the intermediate");
    }

    [Fact]
    public async Task ServerCertificate_ReplacedWhileRunning_NewConnectionsGetTheNewOneAndOpenOnesKeepWorking()
    {
        var ct = TestServers.Timeout();
        var original = TestCertificates.CreateServer(TestCertificates.Authority, "localhost", "CN=localhost original");
        var renewed = TestCertificates.CreateServer(TestCertificates.Authority, "localhost", "CN=localhost renewed");
        var tls = TlsTesting.ServerOptions(original);
        await using var server = await TlsTesting.StartServerAsync(TestServers.EchoAsync, tls);
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());
        await using var before = await client.ConnectAsync(server.LocalEndPoint, ct);

        tls.ServerCertificate = renewed;
        await using var after = await client.ConnectAsync(server.LocalEndPoint, ct);

        before.GetFeature<TlsConnectionInfo>()!.RemoteCertificate!.Subject.Should().Be("CN=localhost original");
        after.GetFeature<TlsConnectionInfo>()!.RemoteCertificate!.Subject.Should().Be("CN=localhost renewed");
        (await TlsTesting.EchoAsync(before, "old session"u8.ToArray(), ct)).Should().Equal("old session"u8.ToArray());
        (await TlsTesting.EchoAsync(after, "new session"u8.ToArray(), ct)).Should().Equal("new session"u8.ToArray());
    }

    [Fact]
    public async Task ConnectAsync_Succeeds_TheFeatureDescribesTheSessionOnBothSides()
    {
        var ct = TestServers.Timeout();
        var serverInfo = new TaskCompletionSource<TlsConnectionInfo?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TlsTesting.StartServerAsync(
            async (connection, stopping) =>
            {
                serverInfo.TrySetResult(connection.GetFeature<TlsConnectionInfo>());
                await TestServers.EchoAsync(connection, stopping);
            },
            TlsTesting.ServerOptions());
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var onServer = await serverInfo.Task.WaitAsync(ct);
        var onClient = connection.GetFeature<TlsConnectionInfo>();

        onClient.Should().NotBeNull();
        onServer.Should().NotBeNull();
        onClient!.IsServer.Should().BeFalse();
        onServer!.IsServer.Should().BeTrue();
        onClient.Protocol.Should().Be(onServer.Protocol).And.BeOneOf(SslProtocols.Tls12, SslProtocols.Tls13);
        onClient.CipherSuite.Should().Be(onServer.CipherSuite);
        onServer.HostName.Should().Be("localhost", "the client sent its target host as SNI");
        onServer.RemoteCertificate.Should().BeNull("no client certificate was asked for");
        onClient.RemoteCertificate!.Thumbprint.Should().Be(TestCertificates.Localhost.Thumbprint);
        onClient.ApplicationProtocol.Should().Be(default(SslApplicationProtocol), "nobody offered ALPN");
        connection.CloseReason.Should().Be(CloseReason.None);
    }
}
