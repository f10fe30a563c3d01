using System.Text.RegularExpressions;
using TcpToolkit.Samples.AppClient;
using TcpToolkit.Samples.AppServer;

namespace TcpToolkit.IntegrationTests;

/// <summary>The application samples against Python peers that behave as the guide's programs (spec section 3).</summary>
public sealed partial class GuideAppInteropTests
{
    [Theory]
    [InlineData("search", "morpheus")]
    [InlineData("search", "\U0001F436")]
    [InlineData("search", "foo")]
    [InlineData("binary", "\U0001F603")]
    public async Task GuideAppClient_AgainstAppServerSample_PrintsExactlyWhatAppClientPrints(string action, string value)
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);

        await using var client = PythonPeer.Start("app_client.py", "127.0.0.1", server.PortText, action, value);
        (await client.WaitForExitAsync(ct)).Should().Be(0, client.StandardError);
        var ours = new SynchronizedStringWriter();
        (await AppClientApp.RunAsync(["127.0.0.1", server.PortText, action, value], ours, ct)).Should().Be(0);

        // Same "Sending b'...'" line: byte-identical requests. Same result lines: the guide's client reads our answer.
        client.StandardError.Should().BeEmpty();
        GuideMultiConnTests.Lines(client.StandardOutput).Should().Equal(GuideMultiConnTests.Lines(ours));
        GuideMultiConnTests.Lines(ours).Should().HaveCount(5).And.NotContain(l => l.StartsWith("Main: Error", StringComparison.Ordinal));

        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 2, ct);
        var received = ServerLines(GuideMultiConnTests.Lines(server.Output), "Received ");
        received.Should().HaveCount(2).And.OnlyContain(l => l == received[0], "both requests are the same bytes");
    }

    [Theory]
    [InlineData("search", "morpheus")]
    [InlineData("search", "ring")]
    [InlineData("search", "\U0001F436")]
    [InlineData("search", "foo")]
    [InlineData("binary", "\U0001F603")]
    [InlineData("other", "x")]
    public async Task AppClientSample_AgainstGuideAppServer_PrintsWhatItPrintsAgainstAppServerSample(string action, string value)
    {
        var ct = TestServers.Timeout();
        await using var guide = PythonPeer.Start("app_server.py", "127.0.0.1", "0");
        var guidePort = PortLine().Match(await guide.FirstLineAsync(ct)).Groups[1].Value;
        await using var sample = await SampleServer.StartAsync(AppServerApp.RunAsync);

        var againstGuide = new SynchronizedStringWriter();
        (await AppClientApp.RunAsync(["127.0.0.1", guidePort, action, value], againstGuide, ct)).Should().Be(0);
        var againstSample = new SynchronizedStringWriter();
        (await AppClientApp.RunAsync(["127.0.0.1", sample.PortText, action, value], againstSample, ct)).Should().Be(0);

        againstGuide.ToString().Replace(guidePort, "PORT", StringComparison.Ordinal).Should()
            .Be(againstSample.ToString().Replace(sample.PortText, "PORT", StringComparison.Ordinal));
        GuideMultiConnTests.Lines(againstGuide).Should().HaveCount(5).And.NotContain(l => l.StartsWith("Main: Error", StringComparison.Ordinal));

        // Both servers print the same request and send the same bytes; the guide's server saw a clean close.
        await guide.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 1, ct);
        await sample.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 1, ct);
        var guideLines = GuideMultiConnTests.Lines(guide.StandardOutput);
        var sampleLines = GuideMultiConnTests.Lines(sample.Output);
        ServerLines(guideLines, "Received ").Should().Equal(ServerLines(sampleLines, "Received "));
        ServerLines(guideLines, "Sending ").Should().Equal(ServerLines(sampleLines, "Sending "));
        guideLines.Should().NotContain(l => l.StartsWith("Main: Error", StringComparison.Ordinal));
        guide.HasExited.Should().BeFalse(guide.StandardError);
    }

    /// <summary>The server lines that start with <paramref name="prefix"/>, without the " to/from (addr)" that names the client.</summary>
    private static string[] ServerLines(string[] lines, string prefix)
        => lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => ClientAddress().Replace(l, string.Empty)).ToArray();

    [GeneratedRegex(@"^PORT (\d+)$")]
    private static partial Regex PortLine();

    [GeneratedRegex(@" (to|from) \('127\.0\.0\.1', \d+\)$")]
    private static partial Regex ClientAddress();
}
