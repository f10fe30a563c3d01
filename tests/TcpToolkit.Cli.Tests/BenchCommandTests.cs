using System.Net;
using System.Text.Json;
using TcpToolkit.Transport;
using TcpToolkit.Cli.Bench;

namespace TcpToolkit.Cli.Tests;

public sealed class BenchCommandTests
{
    private static readonly string[] PercentileNames = ["p50", "p90", "p99", "p999", "max"];

    [Theory]
    [InlineData("length32", 64)]
    [InlineData("raw", 32)]
    [InlineData("line", 100)]
    public async Task Bench_AgainstInProcessEchoServer_PrintsCheckedJsonSummary(string framing, int size)
    {
        var codec = Codecs.Parse(framing);
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), codec, TextWriter.Null, bound.SetResult, stopServer.Token);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var stdout = new StringWriter();
        var settings = new BenchSettings("127.0.0.1", endPoint.Port, codec, Connections: 4, Depth: 8, size, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(0.2));

        var exitCode = await BenchCommand.RunAsync(settings, new BenchOutput(stdout, TextWriter.Null) { Json = true }, cancellationToken)
            .WaitAsync(TestTimeouts.Default, cancellationToken);
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        exitCode.Should().Be(0);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle("--json prints one line");
        using var json = JsonDocument.Parse(lines[0]);
        var summary = json.RootElement;
        summary.GetProperty("framing").GetString().Should().Be(framing);
        summary.GetProperty("connections").GetInt32().Should().Be(4);
        summary.GetProperty("depth").GetInt32().Should().Be(8);
        summary.GetProperty("size").GetInt32().Should().Be(size);
        summary.GetProperty("errors").GetInt32().Should().Be(0);
        summary.GetProperty("seconds").GetDouble().Should().BeInRange(1.9, 4);
        var messages = summary.GetProperty("messages").GetInt64();
        messages.Should().BePositive();
        summary.GetProperty("msgPerSec").GetDouble().Should().BeApproximately(messages / summary.GetProperty("seconds").GetDouble(), 0.01 * messages);
        summary.GetProperty("mbPerSec").GetDouble().Should().BeApproximately(summary.GetProperty("msgPerSec").GetDouble() * size / 1e6, 0.01);
        var latency = summary.GetProperty("latencyUs");
        var percentiles = PercentileNames.Select(p => latency.GetProperty(p).GetDouble()).ToArray();
        percentiles[0].Should().BePositive();
        percentiles.Should().BeInAscendingOrder();
    }

    [Fact]
    public async Task Bench_ServerCorruptsAnEcho_ReportsTheMismatchAndExitsWithTwo()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 0) } };
        await using var server = new TcpServer(options, async (connection, stopping) =>
        {
            // Echoes the first bytes faithfully, then flips one bit.
            var buffer = new byte[4096];
            var total = 0;
            int read;
            while ((read = await connection.ReceiveAsync(buffer, stopping)) > 0)
            {
                if (total < 1000 && total + read >= 1000)
                {
                    buffer[1000 - total - 1] ^= 1;
                }

                total += read;
                await connection.SendAsync(buffer.AsMemory(0, read), stopping);
            }
        });
        await server.StartAsync(cancellationToken);
        var port = ((IPEndPoint)server.LocalEndPoint).Port;
        var stdout = new StringWriter();
        var settings = new BenchSettings("127.0.0.1", port, Codec.Length32, Connections: 1, Depth: 4, Size: 32, TimeSpan.FromSeconds(0.5), TimeSpan.Zero);

        var exitCode = await BenchCommand.RunAsync(settings, new BenchOutput(stdout, TextWriter.Null), cancellationToken)
            .WaitAsync(TestTimeouts.Default, cancellationToken);

        exitCode.Should().Be(2);
        stdout.ToString().Should().Contain("errors     1").And.Contain("echo mismatch in message 27 at byte 27");
    }
}
