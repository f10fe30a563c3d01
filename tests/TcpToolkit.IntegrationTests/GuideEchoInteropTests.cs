using System.Net;
using System.Text.RegularExpressions;
using TcpToolkit.Samples.EchoClient;
using TcpToolkit.Samples.EchoServer;

namespace TcpToolkit.IntegrationTests;

/// <summary>The echo samples against Python peers that behave as the guide's programs (spec section 1).</summary>
public sealed partial class GuideEchoInteropTests
{
    [Fact]
    public async Task EchoServerSample_GuideEchoClient_GetsHelloWorldBack()
    {
        var ct = TestServers.Timeout();
        var output = new SynchronizedStringWriter();
        var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoServerApp.RunAsync(["--port", "0", "--once"], output, e => listening.SetResult(e), ct);
        var port = ((IPEndPoint)await listening.Task.WaitAsync(ct)).Port;

        await using var client = PythonPeer.Start("echo_client.py", "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (await client.WaitForExitAsync(ct)).Should().Be(0, client.StandardError);

        client.StandardOutput.Should().Be("Received b'Hello, world'" + Environment.NewLine);
        (await server.WaitAsync(ct)).Should().Be(0, "--once serves one client and exits, as the guide's server");
        output.ToString().Should().MatchRegex(@"^Connected by \('127\.0\.0\.1', \d+\)\r?\n$");
    }

    [Fact]
    public async Task EchoClientSample_AgainstGuideEchoServer_PrintsReceivedAndClosesFirst()
    {
        var ct = TestServers.Timeout();
        await using var server = PythonPeer.Start("echo_server.py");
        var port = PortLine().Match(await server.FirstLineAsync(ct)).Groups[1].Value;
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoClientApp.RunAsync(["--host", "127.0.0.1", "--port", port], output, ct);

        exitCode.Should().Be(0);
        output.ToString().Should().Be("Received b'Hello, world'" + Environment.NewLine);

        // The guide's server exits 0 only after it saw our FIN and closed: we closed first, gracefully.
        (await server.WaitForExitAsync(ct)).Should().Be(0, server.StandardError);
        server.StandardOutput.Should().MatchRegex(@"Connected by \('127\.0\.0\.1', \d+\)");
    }

    [Fact]
    public async Task EchoClientSample_NobodyListens_ExitsWithErrorLikeTheGuide()
    {
        var ct = TestServers.Timeout();
        using var bound = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoClientApp.RunAsync(["--port", ((IPEndPoint)bound.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], output, ct);

        exitCode.Should().Be(1);
        output.ToString().Should().Contain("ConnectionRefusedError");
    }

    [GeneratedRegex(@"^PORT (\d+)$")]
    private static partial Regex PortLine();
}
