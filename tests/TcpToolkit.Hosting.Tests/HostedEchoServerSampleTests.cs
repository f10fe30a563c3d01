using System.Net;

namespace TcpToolkit.Hosting.Tests;

/// <summary>
/// samples/HostedEchoServer as an operator runs it: its own process, appsettings.json says 127.0.0.1:65432 and the
/// environment variable <c>TcpServer__EndPoints__0</c> overrides it (here with port 0, so the test never collides).
/// </summary>
public sealed class HostedEchoServerSampleTests
{
    private const string ListeningLine = "HostedEchoServer listening on ";

    [Fact]
    public async Task HostedEchoServer_EndPointFromTheEnvironment_ListensThereAndEchoes()
    {
        var ct = TestTimeouts.Token();
        await using var sample = SampleProcess.Start("HostedEchoServer", new Dictionary<string, string> { ["TcpServer__EndPoints__0"] = "127.0.0.1:0" });

        var endPoint = await ListeningOnAsync(sample, ct);
        using var socket = await TestHosts.ConnectAsync(endPoint, ct);

        endPoint.Address.Should().Be(IPAddress.Loopback);
        endPoint.Port.Should().NotBe(65432, "the environment variable replaced appsettings.json's endpoint");
        (await TestHosts.RoundTripAsync(socket, "hello from the test", ct)).Should().Be("hello from the test");
    }

    [Fact]
    public async Task HostedEchoServer_MetricsSwitch_StartsTheExporterAndStillEchoes()
    {
        var ct = TestTimeouts.Token();
        await using var sample = SampleProcess.Start("HostedEchoServer", new Dictionary<string, string> { ["TcpServer__EndPoints__0"] = "127.0.0.1:0" }, "--metrics");

        var endPoint = await ListeningOnAsync(sample, ct);
        using var socket = await TestHosts.ConnectAsync(endPoint, ct);

        (await TestHosts.RoundTripAsync(socket, "measured", ct)).Should().Be("measured");
        await sample.WaitForLineAsync(line => line.Contains("service.name: HostedEchoServer", StringComparison.Ordinal), ct);
    }

    [Fact]
    public async Task HostedEchoServer_InvalidEndPointInTheEnvironment_ExitsNamingTheSetting()
    {
        var ct = TestTimeouts.Token();
        await using var sample = SampleProcess.Start("HostedEchoServer", new Dictionary<string, string> { ["TcpServer__EndPoints__0"] = "localhost:65432" });

        var exitCode = await sample.WaitForExitAsync(ct);

        exitCode.Should().Be(1);
        sample.Output.Should().Contain("HostedEchoServer could not start: TcpServer:EndPoints:0 'localhost:65432' is not an IP endpoint");
    }

    private static async Task<IPEndPoint> ListeningOnAsync(SampleProcess sample, CancellationToken ct)
    {
        var line = await sample.WaitForLineAsync(l => l.StartsWith(ListeningLine, StringComparison.Ordinal), ct);
        return IPEndPoint.Parse(line[ListeningLine.Length..]);
    }
}
