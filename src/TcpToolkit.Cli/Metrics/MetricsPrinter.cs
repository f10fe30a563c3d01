using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using TcpToolkit.Diagnostics;

namespace TcpToolkit.Cli.Metrics;

/// <summary>
/// <c>echo-server --metrics</c>: a <see cref="MeterListener"/> on the <c>TcpToolkit</c> meter and on nothing else,
/// printing the instruments once per interval, an instrument per line or, with several attribute combinations, a
/// header with the attributes they share and a line per combination with the others. Counters print their total and
/// rate, up-down counters and gauges their value, histograms the count, p50, p99 and max of the last interval.
/// </summary>
/// <remarks>
/// Which meters: the server's own (made by the <see cref="IMeterFactory"/> passed in, its <c>TcpServerOptions.MeterFactory</c>) and the
/// process-wide one that components without a factory record on (in tcptk's process, only this server), not another
/// factory's (another host in the same process). The callbacks run on the threads that measure, the server's I/O
/// threads among them: each goes straight to its instrument's aggregator (the listener's state) and does an
/// interlocked update, no lock and no allocation once an attribute combination has been seen.
/// </remarks>
internal sealed class MetricsPrinter : IDisposable
{
    private const int MaxLabelWidth = 72;

    private readonly MetricsOptions _options;
    private readonly IMeterFactory _scope;
    private readonly Lock _instrumentsGate = new();
    private readonly Lock _tickGate = new();
    private readonly List<InstrumentAggregator> _aggregators = [];
    private readonly List<(MetricSeries Series, string Values)> _rows = [];
    private MeterListener? _listener;
    private ITimer? _timer;
    private long _startedAt;
    private long _lastTick;
    private bool _stopped;

    public MetricsPrinter(MetricsOptions options, IMeterFactory scope)
    {
        _options = options;
        _scope = scope;
    }

    /// <summary>Starts listening (before the server starts, so up-down counters begin at zero with it) and printing.</summary>
    public void Start()
    {
        _listener = new MeterListener
        {
            InstrumentPublished = Publish,
            MeasurementsCompleted = Complete,
        };
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((InstrumentAggregator)state!).Record((double)value, tags));
        _startedAt = _lastTick = _options.TimeProvider.GetTimestamp();
        _listener.Start();
        _timer = _options.TimeProvider.CreateTimer(_ => Tick(), null, _options.Interval, _options.Interval);
    }

    public void Dispose()
    {
        lock (_tickGate)
        {
            _stopped = true;
            _timer?.Dispose();
        }

        _listener?.Dispose();
    }

    private void Publish(Instrument instrument, MeterListener listener)
    {
        var meter = instrument.Meter;
        if (meter.Name != TcpToolkitTelemetry.MeterName || (meter.Scope is not null && !ReferenceEquals(meter.Scope, _scope)))
        {
            return;
        }

        if (InstrumentAggregator.Create(instrument) is not { } aggregator)
        {
            return;
        }

        lock (_instrumentsGate)
        {
            _aggregators.Add(aggregator);
        }

        listener.EnableMeasurementEvents(instrument, aggregator);
    }

    private void Complete(Instrument instrument, object? state)
    {
        lock (_instrumentsGate)
        {
            _aggregators.Remove((InstrumentAggregator)state!);
        }
    }

    private void Tick()
    {
        lock (_tickGate)
        {
            if (_stopped)
            {
                return;
            }

            // Observable instruments report now, through the same callbacks.
            _listener!.RecordObservableInstruments();
            var now = _options.TimeProvider.GetTimestamp();
            var seconds = Math.Max(_options.TimeProvider.GetElapsedTime(_lastTick, now).TotalSeconds, 1e-9);
            _lastTick = now;
            _options.Writer.Write(Render(seconds, _options.TimeProvider.GetElapsedTime(_startedAt, now)));
            _options.Writer.Flush();
        }
    }

    private string Render(double seconds, TimeSpan elapsed)
    {
        InstrumentAggregator[] aggregators;
        lock (_instrumentsGate)
        {
            aggregators = [.. _aggregators.OrderBy(a => a.Instrument.Name, StringComparer.Ordinal)];
        }

        var lines = new List<(string Label, string? Values)>();
        foreach (var aggregator in aggregators)
        {
            _rows.Clear();
            aggregator.Collect(seconds, _rows);
            if (_rows.Count == 0)
            {
                continue;
            }

            var instrument = aggregator.Instrument;
            var name = "  " + instrument.Name + (string.IsNullOrEmpty(instrument.Unit) ? "" : " (" + instrument.Unit + ")");
            if (_rows.Count == 1)
            {
                lines.Add((Join(name, _rows[0].Series.Attributes), _rows[0].Values));
                continue;
            }

            // Attributes every combination shares go on the instrument's line, the rest on each combination's.
            var common = _rows[0].Series.Attributes.Where(a => _rows.All(r => r.Series.Attributes.Contains(a))).ToArray();
            lines.Add((Join(name, common), null));
            foreach (var (series, values) in _rows.OrderBy(r => string.Join(' ', r.Series.Attributes), StringComparer.Ordinal))
            {
                var own = series.Attributes.Except(common).ToArray();
                lines.Add(("    " + (own.Length == 0 ? "(no attributes)" : string.Join(' ', own)), values));
            }
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"tcptk echo-server: metrics at {elapsed.TotalSeconds:0.0} s ({TcpToolkitTelemetry.MeterName} meter, rates and histograms over the last {seconds:0.0} s)").AppendLine();
        if (lines.Count == 0)
        {
            text.AppendLine("  (nothing measured yet)");
        }

        var width = Math.Min(lines.Where(l => l.Values is not null).Select(l => l.Label.Length).DefaultIfEmpty(0).Max(), MaxLabelWidth);
        foreach (var (label, values) in lines)
        {
            text.Append(label);
            if (values is not null)
            {
                text.Append(' ', Math.Max(width - label.Length, 0) + 2).Append(values);
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static string Join(string name, IReadOnlyCollection<string> attributes)
        => attributes.Count == 0 ? name : name + "  " + string.Join(' ', attributes);
}
