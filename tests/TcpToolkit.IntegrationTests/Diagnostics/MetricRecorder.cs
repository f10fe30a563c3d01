using System.Diagnostics.Metrics;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// An <see cref="IMeterFactory"/> of one test: its meters carry it as their scope, so a listener can tell them from
/// every other TcpToolkit meter of the process (listeners are process-wide and tests run in parallel).
/// </summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        lock (_meters)
        {
            var existing = _meters.FirstOrDefault(m => m.Name == options.Name && m.Version == options.Version);
            if (existing is not null)
            {
                return existing;
            }

            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}

/// <summary>One measurement: the instrument's name, the value and the tags.</summary>
internal sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value?.ToString() : null;
}

/// <summary>
/// Records every measurement of the instruments on <see cref="TestMeterFactory"/> meters (and only those), and lets a
/// test wait until the recorded ones satisfy a condition (no polling with sleeps: each measurement re-checks).
/// </summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<Recorded> _recorded = [];
    private readonly List<(Func<IReadOnlyList<Recorded>, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public MetricRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public IReadOnlyList<Recorded> All
    {
        get
        {
            lock (_recorded)
            {
                return [.. _recorded];
            }
        }
    }

    public IReadOnlyList<Recorded> Of(string instrument) => [.. All.Where(r => r.Instrument == instrument)];

    /// <summary>Polls the observable instruments once (their callbacks run now) and returns what they reported.</summary>
    public IReadOnlyList<Recorded> Observe(string instrument)
    {
        var before = Of(instrument).Count;
        _listener.RecordObservableInstruments();
        return [.. Of(instrument).Skip(before)];
    }

    public Task WaitForAsync(Func<IReadOnlyList<Recorded>, bool> condition)
    {
        lock (_recorded)
        {
            if (condition(_recorded))
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
            return done.Task;
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        lock (_recorded)
        {
            _recorded.Add(new Recorded(instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copy));
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition(_recorded))
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
