using System.Text.RegularExpressions;
using TcpToolkit.Samples.MultiConnClient;
using TcpToolkit.Samples.MultiConnServer;

namespace TcpToolkit.IntegrationTests;

/// <summary>The multi-connection samples against Python peers that behave as the guide's programs (spec section 2).</summary>
public sealed partial class GuideMultiConnInteropTests
{
    [Fact]
    public async Task MultiConnServerSample_GuideMultiConnClient_EveryConnectionGets44Bytes()
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(MultiConnServerApp.RunAsync);

        await using var client = PythonPeer.Start("multiconn_client.py", "127.0.0.1", server.PortText, "5");
        (await client.WaitForExitAsync(ct)).Should().Be(0, client.StandardError);

        GuideMultiConnTests.CheckClientLines(GuideMultiConnTests.Lines(client.StandardOutput), 5, server.Address);
        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 5, ct);
        GuideMultiConnTests.CheckServerLines(GuideMultiConnTests.Lines(server.Output), 5);
    }

    [Fact]
    public async Task MultiConnClientSample_AgainstGuideMultiConnServer_ServerSeesFinAndKeepsRunning()
    {
        var ct = TestServers.Timeout();
        await using var server = PythonPeer.Start("multiconn_server.py", "127.0.0.1", "0");
        var port = PortLine().Match(await server.FirstLineAsync(ct)).Groups[1].Value;
        var output = new SynchronizedStringWriter();

        (await MultiConnClientApp.RunAsync(["127.0.0.1", port, "3"], output, ct)).Should().Be(0, output.ToString());

        GuideMultiConnTests.CheckClientLines(GuideMultiConnTests.Lines(output), 3, $"('127.0.0.1', {port})");

        // The guide's server closes each connection at our FIN; a reset would have killed it (uncaught ConnectionResetError).
        await server.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 3, ct);
        server.HasExited.Should().BeFalse(server.StandardError);
        server.StandardError.Should().BeEmpty();
        GuideMultiConnTests.CheckServerLines(GuideMultiConnTests.Lines(server.StandardOutput), 3);
    }

    [GeneratedRegex(@"^PORT (\d+)$")]
    private static partial Regex PortLine();
}
