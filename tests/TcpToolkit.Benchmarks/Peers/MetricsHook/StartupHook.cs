using System.Diagnostics.Metrics;

/// <summary>
/// The startup hook: the runtime calls <see cref="Initialize"/> before the application's <c>Main</c>. It listens to
/// every instrument of every meter named <c>TcpToolkit</c>, takes each measurement as an exporter would (the value and
/// every attribute, into a per-instrument cell, allocating nothing), and collects the observable instruments once a
/// second (an OpenTelemetry exporter's interval is usually longer: this is the costlier end). It prints one line, which
/// the harness shows as the server's mode.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "The runtime looks the hook up as StartupHook in no namespace.")]
public static class StartupHook
{
    private static MeterListener? s_listener;
    private static Timer? s_collector;

    public static void Initialize()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Meter.Name == "TcpToolkit")
                {
                    listener.EnableMeasurementEvents(instrument, new Cell());
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Cell)state!).Take(value, tags));
        listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Cell)state!).Take(value, tags));
        listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Cell)state!).Take((long)value, tags));
        listener.Start();
        s_listener = listener;
        s_collector = new Timer(static _ => s_listener?.RecordObservableInstruments(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        Console.WriteLine("metrics: a MeterListener takes every TcpToolkit instrument's measurements (observable ones collected every second)");
    }

    private sealed class Cell
    {
        private long _count;
        private long _sum;

        public void Take(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var hash = 0;
            foreach (var tag in tags)
            {
                hash ^= tag.Key.Length ^ (tag.Value?.GetHashCode() ?? 0);
            }

            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sum, value ^ (hash & 1));
        }
    }
}
