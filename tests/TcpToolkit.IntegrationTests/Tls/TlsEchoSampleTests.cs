using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using TcpToolkit.Samples.EchoClient;
using TcpToolkit.Samples.EchoServer;
using TcpToolkit.Testing;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>
/// The echo samples with TLS: EchoServer <c>--tls-cert</c> against <c>openssl s_client</c> (TLS 1.2 and 1.3) and
/// against EchoClient <c>--tls</c>. The certificate is made in the test and written to a temporary PFX that is
/// deleted afterwards; no key file is ever committed.
/// </summary>
public sealed class TlsEchoSampleTests : IDisposable
{
    private const string Password = "echo-test-password";
    private readonly string _directory = Directory.CreateTempSubdirectory("tcptk-tls-").FullName;

    [Theory]
    [InlineData("-tls1_2", "TLSv1.2")]
    [InlineData("-tls1_3", "TLSv1.3")]
    public async Task EchoServerSample_OpenSslClient_EchoesOverTheForcedVersion(string versionOption, string versionName)
    {
        var ct = TestServers.Timeout();

        // A leaf from an intermediate, both in the PFX: openssl trusts only the root, so the sample must send the chain.
        var intermediate = TestCertificates.CreateIntermediate(TestCertificates.Authority, "CN=TcpToolkit Test Intermediate");
        var (pfx, ca) = WriteCertificateFiles(TestCertificates.CreateServer(intermediate, "localhost"), intermediate);
        await using var server = await StartServerAsync(["--tls-cert", pfx, "--tls-password", Password], ct);

        await using var openssl = OpenSslClient.Start(
            "-connect", "127.0.0.1:" + server.PortText,
            versionOption,
            "-CAfile", ca,
            "-verify_return_error",
            "-verify_ip", "127.0.0.1",
            "-brief",
            "-nocommands");
        await openssl.WriteLineAsync("hello over tls");
        await openssl.Lines.WaitForLinesAsync(line => line == "hello over tls", 1, ct);
        openssl.CloseInput();

        (await openssl.WaitForExitAsync(ct)).Should().Be(0, openssl.StandardError);
        openssl.StandardError.Should().Contain("Protocol version: " + versionName).And.Contain("Verification: OK");
        await server.Output.Lines.WaitForLinesAsync(line => line.StartsWith("Connected by ('127.0.0.1', ", StringComparison.Ordinal), 1, ct);
    }

    [Fact]
    public async Task EchoClientSample_TlsWithTheCa_PrintsTheEcho()
    {
        var ct = TestServers.Timeout();
        var (pfx, ca) = WriteCertificateFiles(TestCertificates.Localhost);
        await using var server = await StartServerAsync(["--tls-cert", pfx, "--tls-password", Password], ct);
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoClientApp.RunAsync(["--host", "127.0.0.1", "--port", server.PortText, "--tls", "--ca", ca], output, ct);

        exitCode.Should().Be(0, output.ToString());
        output.ToString().Should().Be("Received b'Hello, world'" + Environment.NewLine);
        await server.Output.Lines.WaitForLinesAsync(line => line.StartsWith("Connected by ('127.0.0.1', ", StringComparison.Ordinal), 1, ct);
    }

    [Fact]
    public async Task EchoClientSample_TlsWithoutTrust_FailsTheHandshakeWithExitCode1()
    {
        var ct = TestServers.Timeout();
        var (pfx, _) = WriteCertificateFiles(TestCertificates.Localhost);
        await using var server = await StartServerAsync(["--tls-cert", pfx, "--tls-password", Password], ct);
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoClientApp.RunAsync(["--host", "127.0.0.1", "--port", server.PortText, "--tls"], output, ct);

        exitCode.Should().Be(1);
        output.ToString().Should().StartWith("The TLS handshake with '127.0.0.1' failed");
    }

    [Fact]
    public async Task EchoClientSample_TlsInsecure_AcceptsAnUntrustedCertificate()
    {
        var ct = TestServers.Timeout();
        var untrusted = TestCertificates.CreateServer(TestCertificates.UntrustedAuthority, "localhost");
        var (pfx, _) = WriteCertificateFiles(untrusted);
        await using var server = await StartServerAsync(["--tls-cert", pfx, "--tls-password", Password], ct);
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoClientApp.RunAsync(["--host", "127.0.0.1", "--port", server.PortText, "--tls", "--insecure"], output, ct);

        exitCode.Should().Be(0, output.ToString());
        output.ToString().Should().Be("Received b'Hello, world'" + Environment.NewLine);
    }

    [Theory]
    [InlineData("--insecure")]
    [InlineData("--ca", "ca.pem")]
    [InlineData("--tls", "--insecure", "--ca", "ca.pem")]
    public async Task EchoClientSample_TrustOptionsWithoutTlsOrBoth_PrintsUsage(params string[] args)
    {
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoClientApp.RunAsync(args, output, TestContext.Current.CancellationToken);

        exitCode.Should().Be(1);
        output.ToString().Should().StartWith("Usage: EchoClient");
    }

    [Fact]
    public async Task EchoServerSample_WrongPassword_SaysWhyAndExitsWith1()
    {
        var (pfx, _) = WriteCertificateFiles(TestCertificates.Localhost);
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoServerApp.RunAsync(["--port", "0", "--tls-cert", pfx, "--tls-password", "wrong"], output, listening: null, TestServers.Timeout());

        exitCode.Should().Be(1);
        output.ToString().Should().StartWith("Cannot load the TLS certificate");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<RunningServer> StartServerAsync(string[] tlsArgs, CancellationToken cancellationToken)
    {
        var output = new SynchronizedStringWriter();
        var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = EchoServerApp.RunAsync(["--host", "127.0.0.1", "--port", "0", .. tlsArgs], output, e => listening.TrySetResult(e), stop.Token);

        // A run that ends before it listens (a bad certificate) fails the wait instead of hanging it.
        await Task.WhenAny(listening.Task, run).WaitAsync(cancellationToken);
        if (!listening.Task.IsCompleted)
        {
            stop.Dispose();
            throw new InvalidOperationException("The sample exited before it listened: " + output);
        }

        return new RunningServer(stop, run, output, ((IPEndPoint)await listening.Task).Port);
    }

    /// <summary>
    /// Writes the certificate with its key (and <paramref name="intermediates"/>) as a password-protected PFX, and the
    /// test CA as a PEM trust file.
    /// </summary>
    private (string Pfx, string Ca) WriteCertificateFiles(X509Certificate2 certificate, params X509Certificate2[] intermediates)
    {
        var pfx = Path.Combine(_directory, "server.pfx");
        var ca = Path.Combine(_directory, "ca.pem");
        var bundle = new X509Certificate2Collection(certificate);
        bundle.AddRange(intermediates);
        File.WriteAllBytes(pfx, bundle.Export(X509ContentType.Pfx, Password)!);
        File.WriteAllText(ca, TestCertificates.ToPem(TestCertificates.Authority));
        return (pfx, ca);
    }

    private sealed class RunningServer(CancellationTokenSource stop, Task<int> run, SynchronizedStringWriter output, int port) : IAsyncDisposable
    {
        public SynchronizedStringWriter Output { get; } = output;

        public string PortText { get; } = port.ToString(CultureInfo.InvariantCulture);

        public async ValueTask DisposeAsync()
        {
            // Ctrl+C: the sample stops gracefully and exits 0.
            await stop.CancelAsync();
            (await run.WaitAsync(TestServers.Timeout())).Should().Be(0);
            stop.Dispose();
        }
    }
}
