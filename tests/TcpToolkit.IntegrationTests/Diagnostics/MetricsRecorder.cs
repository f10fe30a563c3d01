using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>One measurement: the instrument's name, the value, and the attributes.</summary>
internal sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public object? this[string tag] => Tags.GetValueOrDefault(tag);

    /// <summary>Gets whether every pair of <paramref name="tags"/> is among the attributes (a value of null: absent).</summary>
    public bool Has(params (string Key, object? Value)[] tags) => tags.All(t => Equals(Tags.GetValueOrDefault(t.Key), t.Value));
}

/// <summary>
/// Listens to every instrument of one <see cref="IMeterFactory"/>'s meters and keeps what they record: recorded
/// measurements (counters, histograms) as they come, observable ones from the last <see cref="Observe"/>. Waiting for
/// a measurement is a signal, not a poll.
/// </summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _recorded = new();
    private readonly List<(string Instrument, Func<Measured, bool> Match, int Count, TaskCompletionSource Signal)> _waiters = [];
    private List<Measured>? _observing;

    public MetricsRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
                lock (Instruments)
                {
                    Instruments.Add(instrument);
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Gets the instruments published on the factory's meters so far.</summary>
    public List<Instrument> Instruments { get; } = [];

    /// <summary>Gets what <paramref name="instrument"/> recorded (not observable instruments: see <see cref="Observe"/>).</summary>
    public IReadOnlyList<Measured> Recorded(string instrument) => [.. _recorded.Where(m => m.Instrument == instrument)];

    /// <summary>Gets the sum of what <paramref name="instrument"/> recorded with <paramref name="tags"/>.</summary>
    public double Sum(string instrument, params (string Key, object? Value)[] tags) => Recorded(instrument).Where(m => m.Has(tags)).Sum(m => m.Value);

    /// <summary>Collects every observable instrument now and returns what <paramref name="instrument"/> reported.</summary>
    public IReadOnlyList<Measured> Observe(string instrument)
    {
        lock (_listener)
        {
            _observing = [];
            _listener.RecordObservableInstruments();
            var observed = _observing;
            _observing = null;
            return [.. observed.Where(m => m.Instrument == instrument)];
        }
    }

    /// <summary>Collects now and sums what <paramref name="instrument"/> reported with <paramref name="tags"/>.</summary>
    public double Observed(string instrument, params (string Key, object? Value)[] tags) => Observe(instrument).Where(m => m.Has(tags)).Sum(m => m.Value);

    /// <summary>Completes when <paramref name="instrument"/> has recorded <paramref name="count"/> measurements that match.</summary>
    public Task WaitForAsync(string instrument, Func<Measured, bool> match, int count = 1)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (Recorded(instrument).Count(match) >= count)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((instrument, match, count, signal));
        }

        return signal.Task;
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>(tags.Length);
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        var measured = new Measured(instrument.Name, value, dictionary);
        if (instrument.IsObservable)
        {
            _observing?.Add(measured);
            return;
        }

        _recorded.Enqueue(measured);
        lock (_waiters)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var (name, match, count, signal) = _waiters[i];
                if (name == instrument.Name && Recorded(name).Count(match) >= count)
                {
                    _waiters.RemoveAt(i);
                    signal.TrySetResult();
                }
            }
        }
    }
}
