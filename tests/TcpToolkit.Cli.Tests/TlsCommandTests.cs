using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using TcpToolkit.Cli.Bench;

namespace TcpToolkit.Cli.Tests;

/// <summary>
/// TLS on <c>echo-server</c> and <c>bench</c> (the library's middleware on both sides), <c>--cert</c> loading, and a
/// failed handshake on <c>listen</c>.
/// </summary>
public sealed class TlsCommandTests
{
    [Fact]
    public async Task Bench_TlsInsecureAgainstTlsEchoServer_EchoesCheckedFramesOverTls()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverLog = new StringWriter();
        var server = EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), Codec.Length32, new TlsSettings(), serverLog, bound.SetResult, stopServer.Token);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var stdout = new StringWriter();
        var settings = new BenchSettings(
            "localhost", endPoint.Port, Codec.Length32, Connections: 2, Depth: 4, Size: 16 * 1024, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.2), new TlsSettings(Insecure: true));

        var exitCode = await BenchCommand.RunAsync(settings, new BenchOutput(stdout, TextWriter.Null) { Json = true }, cancellationToken)
            .WaitAsync(TestTimeouts.Default, cancellationToken);
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        exitCode.Should().Be(0);
        serverLog.ToString().Should().Contain("(length32, TLS with CN=localhost, SHA-256 ");
        using var json = JsonDocument.Parse(stdout.ToString());
        json.RootElement.GetProperty("tls").GetString().Should().StartWith("Tls1");
        json.RootElement.GetProperty("errors").GetInt32().Should().Be(0);
        json.RootElement.GetProperty("messages").GetInt64().Should().BePositive();
    }

    [Fact]
    public async Task Bench_TlsWithoutInsecureAgainstThrowawayCertificate_ExitsWithOneAndSaysWhy()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, new TlsSettings(), TextWriter.Null, bound.SetResult, stopServer.Token);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var stderr = new StringWriter();
        var settings = new BenchSettings("localhost", endPoint.Port, Codec.Raw, Connections: 1, Depth: 1, Size: 32, TimeSpan.FromSeconds(1), TimeSpan.Zero, new TlsSettings());

        var exitCode = await BenchCommand.RunAsync(settings, new BenchOutput(TextWriter.Null, stderr) { Json = true }, cancellationToken)
            .WaitAsync(TestTimeouts.Default, cancellationToken);
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        exitCode.Should().Be(1);
        stderr.ToString().Should().Contain("tcptk bench: The TLS handshake with 'localhost' failed");
    }

    [Fact]
    public async Task EchoServer_CertFromPfx_ServesThatCertificate()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var certificate = Tls.SelfSigned();
        var path = Path.Combine(Path.GetTempPath(), "tcptk-test-" + Guid.NewGuid().ToString("N") + ".pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "secret"), cancellationToken);
        try
        {
            using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
            var serverLog = new StringWriter();
            var server = EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, new TlsSettings(path, "secret"), serverLog, bound.SetResult, stopServer.Token);
            var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
            var settings = new BenchSettings("localhost", endPoint.Port, Codec.Raw, Connections: 1, Depth: 2, Size: 32, TimeSpan.FromSeconds(0.5), TimeSpan.Zero, new TlsSettings(Insecure: true));

            var exitCode = await BenchCommand.RunAsync(settings, new BenchOutput(TextWriter.Null, TextWriter.Null) { Json = true }, cancellationToken)
                .WaitAsync(TestTimeouts.Default, cancellationToken);
            await stopServer.CancelAsync();
            (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

            exitCode.Should().Be(0);
            serverLog.ToString().Should().Contain("SHA-256 " + certificate.GetCertHashString(HashAlgorithmName.SHA256));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task EchoServer_CertThatCannotBeRead_ReturnsOneAndSaysWhy()
    {
        var log = new StringWriter();
        var missing = Path.Combine(Path.GetTempPath(), "tcptk-missing-" + Guid.NewGuid().ToString("N") + ".pfx");

        var exitCode = await EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, new TlsSettings(missing), log, listening: null, TestContext.Current.CancellationToken)
            .WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);

        exitCode.Should().Be(1);
        log.ToString().Should().Contain("tcptk echo-server: cannot load the certificate:");
    }

    [Fact]
    public async Task Listen_TlsPeerSendsPlaintext_ReturnsOneWithTheHandshakeFailure()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var log = new StringWriter();
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = StdioCommands.ListenAsync(
            new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, new TlsSettings(), Stream.Null, Stream.Null, log, bound.SetResult, cancellationToken);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);

        // Not a ClientHello: the middleware's handshake fails and the bridge never runs.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, cancellationToken);
        await socket.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), cancellationToken);

        (await listening.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(1);
        log.ToString().Should().Contain("tcptk listen: ").And.Contain("TLS handshake failed");
    }

    [Fact]
    public async Task EchoServerAndBench_TlsOptionsOnTheCommandLine_EchoOverTlsWithTheGivenCertificate()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        using var certificate = Tls.SelfSigned();
        var path = Path.Combine(Path.GetTempPath(), "tcptk-test-" + Guid.NewGuid().ToString("N") + ".pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "secret"), cancellationToken);
        try
        {
            using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var serverLog = new ObservedWriter();
            var server = TcptkCommand.Create(TextWriter.Null, serverLog)
                .Parse(["echo-server", "--port", "0", "--framing", "length32", "--tls", "--cert", path, "--cert-password", "secret"])
                .InvokeAsync(invocation, stopServer.Token);
            await serverLog.WaitForAsync(text => text.Contains("listening on", StringComparison.Ordinal));
            var port = Regex.Match(serverLog.ToString(), @"listening on 127\.0\.0\.1:(\d+) ").Groups[1].Value;
            var stdout = new StringWriter();
            var stderr = new StringWriter();

            var exitCode = await TcptkCommand.Create(stdout, stderr)
                .Parse(["bench", "--host", "localhost", "--port", port, "--framing", "length32", "--connections", "2", "--depth", "2", "--duration", "0.3", "--warmup", "0", "--tls", "--insecure", "--json"])
                .InvokeAsync(invocation, cancellationToken)
                .WaitAsync(TestTimeouts.Default, cancellationToken);
            await stopServer.CancelAsync();
            (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

            exitCode.Should().Be(0, stderr.ToString());
            serverLog.ToString().Should().Contain("(length32, TLS with CN=localhost, SHA-256 " + certificate.GetCertHashString(HashAlgorithmName.SHA256) + ")");
            using var json = JsonDocument.Parse(stdout.ToString());
            json.RootElement.GetProperty("tls").GetString().Should().StartWith("Tls1");
            json.RootElement.GetProperty("errors").GetInt32().Should().Be(0);
            json.RootElement.GetProperty("messages").GetInt64().Should().BePositive();
            stderr.ToString().Should().BeEmpty("--json prints no progress");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("echo-server", "--cert", "server.pfx")]
    [InlineData("echo-server", "--cert-password", "secret")]
    [InlineData("listen", "--cert", "server.pfx")]
    [InlineData("connect", "--insecure", null)]
    [InlineData("bench", "--insecure", null)]
    public void Parse_TlsSubOptionWithoutTls_IsRejected(string command, string option, string? value)
    {
        string[] args = value is null ? [command, "--port", "9000", option] : [command, "--port", "9000", option, value];

        var result = TcptkCommand.Create(TextWriter.Null, TextWriter.Null).Parse(args);

        result.Errors.Should().ContainSingle().Which.Message.Should().Be(option + " needs --tls.");
    }

    [Theory]
    [InlineData("echo-server", "--tls", "--cert", "server.pfx", "--cert-password", "secret")]
    [InlineData("listen", "--port", "9000", "--tls", "--cert", "server.pfx", "--cert-password", "secret")]
    [InlineData("connect", "--port", "9000", "--tls", "--insecure")]
    [InlineData("bench", "--tls", "--insecure")]
    [InlineData("bench", "--tls")]
    public void Parse_TlsOptions_AreAccepted(params string[] args)
    {
        var result = TcptkCommand.Create(TextWriter.Null, TextWriter.Null).Parse(args);

        result.Errors.Should().BeEmpty();
    }
}
