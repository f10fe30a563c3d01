using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Cli.Bench;
using TcpToolkit.InMemory;

namespace TcpToolkit.Cli.Tests;

/// <summary><c>tcptk bench</c>'s live progress: a line per interval when redirected, one line rewritten in place on a terminal.</summary>
public sealed class BenchProgressTests
{
    [Fact]
    public async Task Bench_ProgressRedirected_PrintsALineEachSecondOnTheRunsClock()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), Codec.Length32, TextWriter.Null, bound.SetResult, stopServer.Token);
        var port = ((IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken)).Port;
        var time = new FakeTimeProvider();
        var stdout = new StringWriter();
        var stderr = new ObservedWriter();
        var settings = new BenchSettings("127.0.0.1", port, Codec.Length32, Connections: 2, Depth: 4, Size: 32, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1));
        var output = new BenchOutput(stdout, stderr) { Progress = new BenchProgressOptions(stderr, InPlace: false), TimeProvider = time };

        var bench = BenchCommand.RunAsync(settings, output, cancellationToken);

        // The header comes once the run's timers are armed; from then on each second of the fake clock prints a line
        // (written by the timer, inside Advance), and the fourth second ends the measured window.
        await stderr.WaitForLinesAsync(1);
        for (var second = 1; second <= 3; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await stderr.WaitForLinesAsync(1 + second);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        var exitCode = await bench.WaitAsync(TestTimeouts.Default, cancellationToken);
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        exitCode.Should().Be(0);
        var lines = stderr.Lines;
        lines[0].Should().Be(string.Create(CultureInfo.InvariantCulture, $"tcptk bench: 2 connections to 127.0.0.1:{port} (length32), 1 s warm-up, then 3 s measured"));
        for (var second = 1; second <= 3; second++)
        {
            lines[second].Should().MatchRegex(
                string.Create(CultureInfo.InvariantCulture, $@"^ +{second}\.0/4\.0 s  (warm-up|measure) +[\d,]+ msg/s  p50 (-|[\d,.]+ us)  p99 (-|[\d,.]+ us)$"));
        }

        lines[2].Should().Contain("measure", "the warm-up ended at one second");
        lines.Should().NotContain(l => l.Contains('\r'), "redirected output gets plain lines");
        stdout.ToString().Should().Contain("3.0 s measured after 1 s warm-up", "the measured window is three seconds of the run's clock");
    }

    [Fact]
    public async Task Bench_NoProgress_PrintsNothingOnStderr()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, TextWriter.Null, bound.SetResult, stopServer.Token);
        var port = ((IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken)).Port;
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exitCode = await TcptkCommand.Create(stdout, stderr)
            .Parse(["bench", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", "1", "--depth", "1", "--duration", "0.2", "--warmup", "0", "--no-progress"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null }, cancellationToken)
            .WaitAsync(TestTimeouts.Default, cancellationToken);
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        exitCode.Should().Be(0);
        stderr.ToString().Should().BeEmpty();
        stdout.ToString().Should().Contain("tcptk bench 127.0.0.1:").And.Contain("round-trip latency,");
    }

    [Fact]
    public async Task Tick_InPlaceOnAWideTerminal_RewritesOneLineWithBarAndTheLastIntervalsPercentiles()
    {
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using (client)
        await using (server)
        {
            var phase = new BenchPhase();
            var time = new FakeTimeProvider();
            using var schedule = new BenchSchedule(phase, TimeSpan.Zero, TimeSpan.FromSeconds(10), time);
            var load = new LoadConnection(client, new MessageSet(Codec.Raw, 8), depth: 1, phase);
            var writer = new ObservedWriter();
            using var progress = new BenchProgress(new BenchProgressOptions(writer, InPlace: true, Width: 120), schedule, phase, [load]);
            schedule.Start();
            progress.Start("header");

            // 98 round trips of 100 us and 2 of 1 ms in the first second, none in the second.
            var fast = Stopwatch.Frequency / 10_000;
            for (var i = 0; i < 100; i++)
            {
                load.Histogram.Record(i < 98 ? fast : 10 * fast);
            }

            var written = ("header" + Environment.NewLine).Length;
            time.Advance(TimeSpan.FromSeconds(1));
            var first = writer.ToString()[written..];
            written += first.Length;
            time.Advance(TimeSpan.FromSeconds(1));
            var second = writer.ToString()[written..];
            written += second.Length;
            progress.Stop();
            var last = writer.ToString()[written..];

            first.Should().StartWith("\r[##" + new string('-', 18) + "]    1.0/10.0 s  measure  ");
            first.Should().HaveLength(120, "the line fills the terminal but its last column, so it never wraps");
            first.Should().Contain($"p50 {Microseconds(fast)} us  p99 {Microseconds(10 * fast)} us");
            second.Should().StartWith("\r[####" + new string('-', 16) + "]    2.0/10.0 s  measure  ").And.Contain("p50 -  p99 -").And.HaveLength(120);
            last.Should().StartWith("\r[####").And.EndWith(Environment.NewLine, "the report starts on its own line");
        }
    }

    private static string Microseconds(long ticks)
        => (LatencyHistogram.HighestValueAt(LatencyHistogram.IndexOf(ticks)) * 1e6 / Stopwatch.Frequency).ToString("N1", CultureInfo.InvariantCulture);
}
