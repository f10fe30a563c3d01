using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using TcpToolkit.Cli.Bench;

namespace TcpToolkit.Cli.Tests;

/// <summary>The latency histogram <c>tcptk bench</c> draws under its report.</summary>
public sealed partial class LatencyChartTests
{
    private static readonly string[] Marks = ["p50", "p90", "p99", "p99.9", "max"];

    [Fact]
    public void Draw_PlainStyle_AsciiRowsWithinTheWidthHoldingEveryRoundTripAndEachMarkOnce()
    {
        var histogram = BodyAndTail();

        var lines = Lines(LatencyChart.Draw(histogram, ChartStyle.Plain));

        lines[0].Should().Be("  round-trip latency, 10,100 round trips:");
        var rows = lines[1..];
        rows.Should().HaveCountLessThanOrEqualTo(LatencyChart.MaxRows).And.AllSatisfy(row =>
        {
            row.Length.Should().BeLessThan(80);
            row.Should().MatchRegex(@"^ +[\d,.]+ - [\d,.]+ (us|ms) \|[# ]+\| +[\d.]+% +[\d,]+( .*)?$");
            row.All(char.IsAscii).Should().BeTrue();
        });
        rows.Sum(r => long.Parse(RowPattern().Match(r).Groups["count"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)).Should().Be(10_100);
        foreach (var mark in Marks)
        {
            rows.Count(r => RowPattern().Match(r).Groups["marks"].Value.Split(' ').Contains(mark)).Should().Be(1, mark + " marks one row");
        }

        rows[^1].Should().EndWith("max");
        var p50 = RowPattern().Match(rows.Single(r => RowPattern().Match(r).Groups["marks"].Value.Split(' ').Contains("p50")));
        double.Parse(p50.Groups["low"].Value, NumberStyles.Number, CultureInfo.InvariantCulture).Should().BeInRange(70, 130, "the body is 80 to 130 us");
    }

    [Fact]
    public void Draw_UnicodeOnAWideTerminal_BlockBarsToTheWidth()
    {
        var lines = Lines(LatencyChart.Draw(BodyAndTail(), new ChartStyle(140, Unicode: true)));

        lines[1..].Should().AllSatisfy(row =>
        {
            row.Length.Should().BeLessThan(140);
            row.Should().Contain("│").And.NotContain("#");
        });
        lines.Max(l => l.Length).Should().Be(139, "the widest row's bar is as long as the width allows");
        lines.Should().Contain(l => l.Contains('█'));
    }

    [Fact]
    public void Draw_OneValue_OneRowWithEveryMark()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(Stopwatch.Frequency / 10_000);

        var lines = Lines(LatencyChart.Draw(histogram, ChartStyle.Plain));

        lines.Should().HaveCount(2);
        lines[1].Should().Contain("100.0%").And.EndWith("p50 p90 p99 p99.9 max");
    }

    [Fact]
    public void Draw_NoRoundTrip_SaysSo()
    {
        LatencyChart.Draw(new LatencyHistogram(), ChartStyle.Plain).Should().Be("  round-trip latency: no round trip measured" + Environment.NewLine);
    }

    [Fact]
    public async Task Bench_Report_DrawsTheHistogramUnderTheUnchangedReport()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoService.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), Codec.Line, TextWriter.Null, bound.SetResult, stopServer.Token);
        var port = ((IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken)).Port;
        var stdout = new StringWriter();
        var settings = new BenchSettings("127.0.0.1", port, Codec.Line, Connections: 2, Depth: 4, Size: 32, TimeSpan.FromSeconds(0.5), TimeSpan.Zero);

        var exitCode = await BenchCommand.RunAsync(settings, new BenchOutput(stdout, TextWriter.Null), cancellationToken).WaitAsync(TestTimeouts.Default, cancellationToken);
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        exitCode.Should().Be(0);
        var lines = Lines(stdout.ToString());
        lines[0].Should().StartWith("tcptk bench 127.0.0.1:");
        lines[1..5].Select(l => l[..13]).Should().Equal("  messages   ", "  payload    ", "  latency    ", "  errors     ");
        lines[5].Should().MatchRegex(@"^  round-trip latency, [\d,]+ round trips:$");
        lines[6..].Should().NotBeEmpty().And.AllSatisfy(row => row.Should().MatchRegex(RowPattern().ToString()));
        lines[6..].Should().ContainSingle(l => RowPattern().Match(l).Groups["marks"].Value.Split(' ').Contains("p50"));
    }

    /// <summary>10,000 round trips between 80 and 130 us, and 100 spread from 1 ms to 5 ms.</summary>
    private static LatencyHistogram BodyAndTail()
    {
        var histogram = new LatencyHistogram();
        var tickPerMicrosecond = Stopwatch.Frequency / 1e6;
        for (var i = 0; i < 10_000; i++)
        {
            histogram.Record((long)((80 + (i % 50)) * tickPerMicrosecond));
        }

        for (var i = 0; i < 100; i++)
        {
            histogram.Record((long)((1000 + (40 * i)) * tickPerMicrosecond));
        }

        return histogram;
    }

    private static string[] Lines(string text) => text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"^ +(?<low>[\d,.]+) - (?<high>[\d,.]+) (us|ms) [|│].*[|│] +(?<share>[\d.]+)% +(?<count>[\d,]+)(  (?<marks>.*))?$")]
    private static partial Regex RowPattern();
}
