using System.Diagnostics.Metrics;

namespace TcpToolkit.Cli.Metrics;

/// <summary>
/// An instrument whose measurement is its value: a gauge, an observable up-down counter (printed as the value), or an
/// observable counter (its measurement is the total so far: printed as the total and its rate over the interval).
/// The observable ones are measured by the printer's timer, just before it prints.
/// </summary>
internal sealed class LastValueAggregator : InstrumentAggregator
{
    private readonly bool _cumulative;

    public LastValueAggregator(Instrument instrument, bool integral, bool cumulative)
        : base(instrument, integral)
        => _cumulative = cumulative;

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => ((Last)Find(tags)).Set(value);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => ((Last)Find(tags)).Set(value);

    public override void Collect(double seconds, List<(MetricSeries Series, string Values)> rows)
    {
        var unit = Instrument.Unit;
        foreach (Last series in Series)
        {
            var value = series.Value;
            if (_cumulative)
            {
                var rate = series.Previous is { } previous ? (value - previous) / seconds : 0;
                series.Previous = value;
                rows.Add((series, "total " + MetricFormat.Value(value, unit, Integral) + "  rate " + MetricFormat.Rate(rate, unit)));
            }
            else
            {
                rows.Add((series, MetricFormat.Value(value, unit, Integral)));
            }
        }
    }

    protected override MetricSeries CreateSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags) => new Last(tags);

    private sealed class Last(ReadOnlySpan<KeyValuePair<string, object?>> tags) : MetricSeries(tags)
    {
        private double _value;

        /// <summary>Gets or sets the value at the previous collection (the printer's thread only).</summary>
        public double? Previous { get; set; }

        public double Value => Volatile.Read(ref _value);

        public void Set(double value) => Volatile.Write(ref _value, value);
    }
}
