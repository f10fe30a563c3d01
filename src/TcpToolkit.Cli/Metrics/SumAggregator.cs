using System.Diagnostics.Metrics;

namespace TcpToolkit.Cli.Metrics;

/// <summary>
/// A counter (printed as its total and its rate over the last interval) or an up-down counter (printed as its value:
/// the sum of its changes since the listener started, which is before the server starts).
/// </summary>
internal sealed class SumAggregator : InstrumentAggregator
{
    private readonly bool _monotonic;

    public SumAggregator(Instrument instrument, bool integral, bool monotonic)
        : base(instrument, integral)
        => _monotonic = monotonic;

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => ((Sum)Find(tags)).Add(value);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => ((Sum)Find(tags)).Add(value);

    public override void Collect(double seconds, List<(MetricSeries Series, string Values)> rows)
    {
        var unit = Instrument.Unit;
        foreach (Sum series in Series)
        {
            var total = series.Total;
            if (_monotonic)
            {
                var rate = (total - series.Previous) / seconds;
                series.Previous = total;
                rows.Add((series, "total " + MetricFormat.Value(total, unit, Integral) + "  rate " + MetricFormat.Rate(rate, unit)));
            }
            else
            {
                rows.Add((series, MetricFormat.Value(total, unit, Integral)));
            }
        }
    }

    protected override MetricSeries CreateSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags) => new Sum(tags);

    private sealed class Sum(ReadOnlySpan<KeyValuePair<string, object?>> tags) : MetricSeries(tags)
    {
        private long _integral;
        private double _fractional;

        /// <summary>Gets the total at the previous collection (the printer's thread only).</summary>
        public double Previous { get; set; }

        public double Total => Interlocked.Read(ref _integral) + Volatile.Read(ref _fractional);

        public void Add(long value) => Interlocked.Add(ref _integral, value);

        public void Add(double value)
        {
            var current = Volatile.Read(ref _fractional);
            while (true)
            {
                var seen = Interlocked.CompareExchange(ref _fractional, current + value, current);
                if (seen.Equals(current))
                {
                    return;
                }

                current = seen;
            }
        }
    }
}
