using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace TcpToolkit.Benchmarks.Diagnostics;

/// <summary>
/// Who listens to the meter in a metrics benchmark: nobody, a bare <see cref="MeterListener"/> that takes every
/// measurement (value and attributes) into preallocated cells, or the OpenTelemetry SDK with a reader and an exporter
/// that drops what it is given (the SDK's aggregation is what an operator's process pays; exporting is on its own
/// thread).
/// </summary>
internal static class MetricsConsumers
{
    public const string None = "none";
    public const string Listener = "listener";
    public const string OpenTelemetry = "otel";

    public static IDisposable? Attach(string consumer, string meterName) => consumer switch
    {
        None => null,
        Listener => new ConsumingListener(meterName),
        OpenTelemetry => Sdk.CreateMeterProviderBuilder()
            .AddMeter(meterName)
            .AddReader(new BaseExportingMetricReader(new DroppingExporter()))
            .Build(),
        _ => throw new ArgumentOutOfRangeException(nameof(consumer), consumer, "none, listener or otel"),
    };

    private sealed class DroppingExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }

    /// <summary>Takes every measurement of the meter's instruments as an exporter would read it, allocating nothing.</summary>
    private sealed class ConsumingListener : IDisposable
    {
        private readonly MeterListener _listener = new();

        public ConsumingListener(string meterName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == meterName)
                {
                    listener.EnableMeasurementEvents(instrument, new Cell());
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Cell)state!).Take(value, tags));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Cell)state!).Take((long)value, tags));
            _listener.Start();
        }

        public void Dispose() => _listener.Dispose();

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
}
