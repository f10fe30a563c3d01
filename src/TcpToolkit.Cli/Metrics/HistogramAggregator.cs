using System.Diagnostics.Metrics;
using System.Globalization;

namespace TcpToolkit.Cli.Metrics;

/// <summary>A histogram: printed as the count, p50, p99 and max of the values recorded over the last interval.</summary>
internal sealed class HistogramAggregator(Instrument instrument, bool integral) : InstrumentAggregator(instrument, integral)
{
    private readonly long[] _now = new long[LogLinearBuckets.Count];

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => ((Buckets)Find(tags)).Counts.Record(value);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => ((Buckets)Find(tags)).Counts.Record(value);

    public override void Collect(double seconds, List<(MetricSeries Series, string Values)> rows)
    {
        var unit = Instrument.Unit;
        foreach (Buckets series in Series)
        {
            // The counts only grow: the interval is now minus the previous copy, computed in place of that copy.
            series.Counts.CopyTo(_now);
            var interval = series.Previous;
            long count = 0;
            var highest = 0;
            for (var i = 0; i < interval.Length; i++)
            {
                var delta = Math.Max(_now[i] - interval[i], 0);
                interval[i] = delta;
                count += delta;
                highest = delta > 0 ? i : highest;
            }

            if (count == 0)
            {
                rows.Add((series, "count 0"));
            }
            else
            {
                var p50 = LogLinearBuckets.ValueAtPercentile(interval, count, 50, Integral);
                var p99 = LogLinearBuckets.ValueAtPercentile(interval, count, 99, Integral);
                var max = LogLinearBuckets.ValueAt(highest, Integral);
                rows.Add((series, string.Create(
                    CultureInfo.InvariantCulture,
                    $"count {count:N0}  p50 {MetricFormat.Value(p50, unit, Integral)}  p99 {MetricFormat.Value(p99, unit, Integral)}  max {MetricFormat.Value(max, unit, Integral)}")));
            }

            _now.CopyTo(interval.AsSpan());
        }
    }

    protected override MetricSeries CreateSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags) => new Buckets(tags);

    private sealed class Buckets(ReadOnlySpan<KeyValuePair<string, object?>> tags) : MetricSeries(tags)
    {
        public LogLinearBuckets Counts { get; } = new();

        /// <summary>Gets the counts at the previous collection (the printer's thread only).</summary>
        public long[] Previous { get; } = new long[LogLinearBuckets.Count];
    }
}
