using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using TcpToolkit.Samples.KeyValueClient;
using TcpToolkit.Samples.KeyValueServer;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>The KeyValueServer and KeyValueClient samples, run in-process over loopback.</summary>
public sealed partial class KeyValueSampleTests
{
    [Fact]
    public async Task RunAsync_TenThousandRequests_AllSucceed()
    {
        var ct = TestServers.Timeout();
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var (server, endPoint) = await StartServerAsync(0, stopServer.Token);
        var output = new SynchronizedStringWriter();

        var exitCode = await KeyValueClientApp.RunAsync(["127.0.0.1", Port(endPoint), "--requests", "10000", "--concurrency", "32"], output, null, ct);

        var result = ParseResult(output.ToString());
        exitCode.Should().Be(0);
        result["ok"].Should().Be(10_000);
        result["failed"].Should().Be(0);
        result["reconnects"].Should().Be(0);
        result["p99_us"].Should().BeGreaterThanOrEqualTo(result["p50_us"]);
        await stopServer.CancelAsync();
        (await server.WaitAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task RunAsync_ServerStoppedGracefullyAndRestartedMidRun_NoRequestLostOnlyNotExecutedRetried()
    {
        // The stop must land mid-run: it starts after the first 2,000 requests and has the other 48,000 to get there.
        const int Requests = 50_000;
        var ct = TestServers.Timeout();
        using var stopFirst = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var (first, endPoint) = await StartServerAsync(0, stopFirst.Token);
        var port = ((IPEndPoint)endPoint).Port;
        var quarter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new SynchronizedStringWriter();

        var client = KeyValueClientApp.RunAsync(
            ["127.0.0.1", Port(endPoint), "--requests", Requests.ToString(CultureInfo.InvariantCulture), "--concurrency", "16"],
            output,
            done =>
            {
                if (done >= 2_000)
                {
                    quarter.TrySetResult();
                }
            },
            ct);
        await quarter.Task.WaitAsync(ct);
        await stopFirst.CancelAsync();
        (await first.WaitAsync(ct)).Should().Be(0);
        using var stopSecond = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var (second, _) = await StartServerAsync(port, stopSecond.Token);
        var exitCode = await client.WaitAsync(ct);

        var result = ParseResult(output.ToString());
        exitCode.Should().Be(0, output.ToString());
        result["ok"].Should().Be(Requests);
        result["failed"].Should().Be(0, "requests the server did not start are answered 'not executed' and retried; nothing else fails");
        result["reconnects"].Should().BeGreaterThanOrEqualTo(1, output.ToString());
        await stopSecond.CancelAsync();
        (await second.WaitAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task RunAsync_MissingArguments_PrintsUsage()
    {
        var output = new StringWriter();

        (await KeyValueClientApp.RunAsync(["127.0.0.1"], output, null, CancellationToken.None)).Should().Be(1);
        (await KeyValueServerApp.RunAsync([], output, null, CancellationToken.None)).Should().Be(1);

        output.ToString().Should().Contain(KeyValueClientApp.Usage).And.Contain(KeyValueServerApp.Usage);
    }

    private static async Task<(Task<int> Server, EndPoint EndPoint)> StartServerAsync(int port, CancellationToken stop)
    {
        var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = KeyValueServerApp.RunAsync(["127.0.0.1", port.ToString(CultureInfo.InvariantCulture)], TextWriter.Null, e => listening.TrySetResult(e), stop);
        var first = await Task.WhenAny(listening.Task, server).WaitAsync(TestServers.Timeout());
        if (first != listening.Task)
        {
            throw new InvalidOperationException($"The server exited with {await server} before listening.");
        }

        var endPoint = await listening.Task;
        return (server, endPoint);
    }

    private static string Port(EndPoint endPoint) => ((IPEndPoint)endPoint).Port.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, long> ParseResult(string output)
    {
        var match = ResultLine().Match(output);
        match.Success.Should().BeTrue($"the client prints its result line, got: {output}");
        return match.Groups["name"].Captures.Zip(match.Groups["value"].Captures)
            .ToDictionary(p => p.First.Value, p => long.Parse(p.Second.Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(?:(?<name>ok|failed|retried|reconnects|p50_us|p99_us)=(?<value>\d+) ?){6}$", RegexOptions.Multiline)]
    private static partial Regex ResultLine();
}
