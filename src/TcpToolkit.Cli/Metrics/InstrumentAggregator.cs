using System.Diagnostics.Metrics;

namespace TcpToolkit.Cli.Metrics;

/// <summary>
/// What <see cref="MetricsPrinter"/> keeps for one instrument: a series per combination of attribute values. The
/// listener's callbacks call <see cref="Record(long, ReadOnlySpan{KeyValuePair{string, object}})"/> on whatever
/// thread measures (the server's I/O threads among them): finding the series is a scan of an array read without a
/// lock, and recording is an interlocked update; only a new combination of attributes takes a lock and allocates.
/// </summary>
internal abstract class InstrumentAggregator
{
    private readonly Lock _gate = new();
    private MetricSeries[] _series = [];

    protected InstrumentAggregator(Instrument instrument, bool integral)
    {
        Instrument = instrument;
        Integral = integral;
    }

    public Instrument Instrument { get; }

    /// <summary>Gets a value indicating whether the instrument measures integers (its values print without decimals).</summary>
    public bool Integral { get; }

    /// <summary>Gets the series so far (a snapshot).</summary>
    protected MetricSeries[] Series => Volatile.Read(ref _series);

    /// <summary>The aggregator for <paramref name="instrument"/>, or <see langword="null"/> for a kind of instrument it does not know.</summary>
    public static InstrumentAggregator? Create(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        var kind = type.GetGenericTypeDefinition();
        var value = type.GetGenericArguments()[0];
        var integral = value == typeof(byte) || value == typeof(short) || value == typeof(int) || value == typeof(long);
        return kind switch
        {
            _ when kind == typeof(Counter<>) => new SumAggregator(instrument, integral, monotonic: true),
            _ when kind == typeof(UpDownCounter<>) => new SumAggregator(instrument, integral, monotonic: false),
            _ when kind == typeof(Histogram<>) => new HistogramAggregator(instrument, integral),
            _ when kind == typeof(ObservableCounter<>) => new LastValueAggregator(instrument, integral, cumulative: true),
            _ when kind == typeof(ObservableUpDownCounter<>) || kind == typeof(ObservableGauge<>) || kind == typeof(Gauge<>)
                => new LastValueAggregator(instrument, integral, cumulative: false),
            _ => null,
        };
    }

    public abstract void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    /// <summary>
    /// Adds a row per series to <paramref name="rows"/>: its values now, and over the <paramref name="seconds"/> since
    /// the previous call (only the printer's timer calls this, never two at once).
    /// </summary>
    public abstract void Collect(double seconds, List<(MetricSeries Series, string Values)> rows);

    /// <summary>The series of <paramref name="tags"/>, made on first sight.</summary>
    protected MetricSeries Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var series in Volatile.Read(ref _series))
        {
            if (series.Matches(tags))
            {
                return series;
            }
        }

        lock (_gate)
        {
            foreach (var series in _series)
            {
                if (series.Matches(tags))
                {
                    return series;
                }
            }

            var created = CreateSeries(tags);
            Volatile.Write(ref _series, [.. _series, created]);
            return created;
        }
    }

    protected abstract MetricSeries CreateSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags);
}
