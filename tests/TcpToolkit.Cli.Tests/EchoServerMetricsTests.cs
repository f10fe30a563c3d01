using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Cli.Metrics;
using TcpToolkit.Diagnostics;

namespace TcpToolkit.Cli.Tests;

/// <summary>
/// <c>echo-server --metrics</c>: what the <c>TcpToolkit</c> meter records, printed once a second. The instruments are
/// the test's own, with unique names, on a meter named <c>TcpToolkit</c> (the server's instruments are another room's).
/// </summary>
public sealed class EchoServerMetricsTests
{
    [Fact]
    public async Task EchoServer_Metrics_PrintsTheTcpToolkitMetersInstrumentsEachSecond()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var time = new FakeTimeProvider();
        var stdout = new ObservedWriter();
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoService.RunAsync(
            new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, tls: null, new MetricsOptions(stdout) { TimeProvider = time }, TextWriter.Null, bound.SetResult, stopServer.Token);
        await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var name = UniqueName();
        using var meter = new Meter(TcpToolkitTelemetry.MeterName);
        var frames = meter.CreateCounter<long>(name + ".frames", "{frame}");
        var active = meter.CreateUpDownCounter<long>(name + ".active", "{connection}");
        var duration = meter.CreateHistogram<double>(name + ".duration", "s");
        var length32 = new KeyValuePair<string, object?>("test.codec", "length32");
        frames.Add(5, new("network.io.direction", "receive"), length32);
        frames.Add(3, new("network.io.direction", "transmit"), length32);
        active.Add(2);
        active.Add(-1);
        for (var i = 1; i <= 100; i++)
        {
            duration.Record(i / 1000.0);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        await stdout.WaitForAsync(text => text.Contains(name + ".duration", StringComparison.Ordinal));
        var first = Ours(stdout.ToString(), name);
        time.Advance(TimeSpan.FromSeconds(1));
        await stdout.WaitForAsync(text => text.Contains("metrics at 2.0 s", StringComparison.Ordinal));
        var second = Ours(stdout.ToString()[stdout.ToString().IndexOf("metrics at 2.0 s", StringComparison.Ordinal)..], name);
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        TestContext.Current.TestOutputHelper?.WriteLine(stdout.ToString());
        stdout.ToString().Should().StartWith("tcptk echo-server: metrics at 1.0 s (TcpToolkit meter, rates and histograms over the last 1.0 s)");
        first.Should().HaveCount(5);
        first[0].Should().MatchRegex($@"^  {name}\.active \(\{{connection\}}\) +1$", "an up-down counter prints its value");
        first[1].Should().MatchRegex($@"^  {name}\.duration \(s\) +count 100  p50 (49|50)\.\d ms  p99 (98\.\d|99\.\d|100|101) ms  max (99\.\d|100|101) ms$");
        first[2].Should().Be($"  {name}.frames ({{frame}})  test.codec=length32", "the attributes all series share go on the instrument's line");
        first[3].Should().MatchRegex(@"^    network\.io\.direction=receive +total 5  rate 5/s$");
        first[4].Should().MatchRegex(@"^    network\.io\.direction=transmit +total 3  rate 3/s$");
        second[0].Should().EndWith(" 1");
        second[1].Should().EndWith(" count 0", "nothing was recorded in the second second");
        second[3].Should().EndWith("total 5  rate 0/s");
    }

    [Fact]
    public async Task EchoServer_Metrics_LeavesOtherMetersOut()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var stopServer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var time = new FakeTimeProvider();
        var stdout = new ObservedWriter();
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = EchoService.RunAsync(
            new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, tls: null, new MetricsOptions(stdout) { TimeProvider = time }, TextWriter.Null, bound.SetResult, stopServer.Token);
        await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var name = UniqueName();
        using var ours = new Meter(TcpToolkitTelemetry.MeterName);
        using var other = new Meter(TcpToolkitTelemetry.MeterName + ".Other");
        ours.CreateCounter<int>(name + ".ours").Add(1);
        other.CreateCounter<int>(name + ".other").Add(1);

        time.Advance(TimeSpan.FromSeconds(1));
        await stdout.WaitForAsync(text => text.Contains(name + ".ours", StringComparison.Ordinal));
        await stopServer.CancelAsync();
        (await server.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);

        stdout.ToString().Should().NotContain(name + ".other");
    }

    [Fact]
    public async Task Start_MeterOfAnotherFactory_IsLeftOut()
    {
        using var own = new ScopedMeterFactory();
        using var another = new ScopedMeterFactory();
        var time = new FakeTimeProvider();
        var writer = new ObservedWriter();
        using var printer = new MetricsPrinter(new MetricsOptions(writer) { TimeProvider = time }, own);
        printer.Start();
        var name = UniqueName();
        own.Create(new MeterOptions(TcpToolkitTelemetry.MeterName)).CreateCounter<long>(name + ".own").Add(1);
        another.Create(new MeterOptions(TcpToolkitTelemetry.MeterName)).CreateCounter<long>(name + ".another").Add(1);

        time.Advance(TimeSpan.FromSeconds(1));
        await writer.WaitForAsync(text => text.Contains(name + ".own", StringComparison.Ordinal));

        writer.ToString().Should().NotContain(name + ".another");
    }

    [Fact]
    public void Record_AttributesSeenBefore_AllocatesNothing()
    {
        using var factory = new ScopedMeterFactory();
        using var printer = new MetricsPrinter(new MetricsOptions(TextWriter.Null) { TimeProvider = new FakeTimeProvider() }, factory);
        printer.Start();
        var meter = factory.Create(new MeterOptions(TcpToolkitTelemetry.MeterName));
        var name = UniqueName();
        var bytes = meter.CreateCounter<long>(name + ".io", "By");
        var active = meter.CreateUpDownCounter<int>(name + ".active");
        var duration = meter.CreateHistogram<double>(name + ".duration", "s");
        var direction = new KeyValuePair<string, object?>("network.io.direction", "receive");
        var transport = new KeyValuePair<string, object?>("network.transport", "tcp");
        Record(1);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Record(10_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0);

        void Record(int times)
        {
            for (var i = 0; i < times; i++)
            {
                bytes.Add(36, direction, transport);
                active.Add(1, transport);
                duration.Record(0.000_123, direction, transport);
            }
        }
    }

    [Fact]
    public void Create_SameNameTwice_ReturnsOneMeterScopedToTheFactory()
    {
        using var factory = new ScopedMeterFactory();

        var first = factory.Create(new MeterOptions(TcpToolkitTelemetry.MeterName));
        var second = factory.Create(new MeterOptions(TcpToolkitTelemetry.MeterName));

        second.Should().BeSameAs(first);
        first.Scope.Should().BeSameAs(factory);
        factory.Create(new MeterOptions(TcpToolkitTelemetry.MeterName) { Version = "2" }).Should().NotBeSameAs(first);
    }

    [Theory]
    [InlineData(36.0, true, 36.0)]
    [InlineData(1500.0, true, 1472.0)]
    [InlineData(0.000_123, false, 0.000_123)]
    [InlineData(12.5, false, 12.5)]
    [InlineData(0.0, false, 0.0)]
    public void ValueAt_BucketOfAValue_StandsForIt(double value, bool integral, double expected)
    {
        var represented = LogLinearBuckets.ValueAt(LogLinearBuckets.IndexOf(value), integral);

        represented.Should().BeApproximately(expected, Math.Max(expected * 0.016, 1e-12));
    }

    [Theory]
    [InlineData(0.000_000_5, "s", "500 ns")]
    [InlineData(0.000_123_4, "s", "123 us")]
    [InlineData(0.0123, "s", "12.3 ms")]
    [InlineData(2.5, "s", "2.50 s")]
    [InlineData(1234.0, "ms", "1.23 s")]
    [InlineData(999.0, "By", "999 B")]
    [InlineData(1_234_567.0, "By", "1.23 MB")]
    [InlineData(1234.0, "{connection}", "1,234")]
    public void Value_Unit_PrintsInTheUnitsScale(double value, string unit, string expected)
    {
        MetricFormat.Value(value, unit, integral: false).Should().Be(expected);
    }

    [Fact]
    public void Parse_Metrics_IsAcceptedWithTls()
    {
        var result = TcptkCommand.Create(TextWriter.Null, TextWriter.Null).Parse(["echo-server", "--metrics", "--tls", "--cert", "server.pfx"]);

        result.Errors.Should().BeEmpty();
    }

    private static string UniqueName() => "tcptk.test." + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The lines of the first block in <paramref name="text"/> that are about the test's instruments (its headers and series).</summary>
    private static string[] Ours(string text, string name)
    {
        var lines = text.Split(Environment.NewLine).Skip(1).TakeWhile(l => !l.StartsWith("tcptk", StringComparison.Ordinal)).ToArray();
        var ours = new List<string>();
        var inOurs = false;
        foreach (var line in lines)
        {
            if (!line.StartsWith("    ", StringComparison.Ordinal))
            {
                inOurs = line.StartsWith("  " + name, StringComparison.Ordinal);
            }

            if (inOurs)
            {
                ours.Add(line);
            }
        }

        return [.. ours];
    }
}
