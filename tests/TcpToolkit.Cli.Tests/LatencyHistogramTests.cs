using TcpToolkit.Cli.Bench;

namespace TcpToolkit.Cli.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void ValueAtPercentile_UniformValues_WithinOnePercent()
    {
        var histogram = new LatencyHistogram();
        for (long value = 1; value <= 1_000_000; value++)
        {
            histogram.Record(value);
        }

        histogram.Count.Should().Be(1_000_000);
        histogram.Max.Should().Be(1_000_000);
        foreach (var percentile in new[] { 50.0, 90, 99, 99.9 })
        {
            var expected = percentile / 100 * 1_000_000;
            histogram.ValueAtPercentile(percentile).Should().BeCloseTo((long)expected, (ulong)(expected * 0.01));
        }

        histogram.ValueAtPercentile(100).Should().Be(1_000_000);
    }

    [Fact]
    public void IndexOf_EveryBucketBoundary_MapsBackIntoItsBucket()
    {
        for (var shift = 0; shift < 40; shift++)
        {
            foreach (var value in new[] { 1L << shift, (1L << shift) + 1, (2L << shift) - 1 })
            {
                var index = LatencyHistogram.IndexOf(value);
                LatencyHistogram.HighestValueAt(index).Should().BeGreaterThanOrEqualTo(value);
                (index == 0 || LatencyHistogram.HighestValueAt(index - 1) < value).Should().BeTrue($"{value} belongs to bucket {index}");
            }
        }
    }

    [Fact]
    public void Add_TwoHistograms_MergesCountsAndMax()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(10);
        b.Record(5_000);
        b.Record(-3);

        a.Add(b);

        a.Count.Should().Be(3);
        a.Max.Should().Be(5_000);
        a.ValueAtPercentile(1).Should().Be(0);
    }
}
