using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TcpToolkit.Benchmarks.Rpc;

/// <summary>
/// <c>rpc --metrics [--unsampled-traces]</c> (issue #14): listens to every instrument of the <c>TcpToolkit</c> meter as
/// an exporter would (a callback per measurement, here a counter that allocates nothing), and optionally to the
/// <c>TcpToolkit</c> activity source with a sampler that keeps nothing, to show what listening costs per request.
/// </summary>
internal sealed class TelemetryListener : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener? _spans;
    private long _measurements;

    private TelemetryListener(bool traces)
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "TcpToolkit")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref _measurements));
        _meters.Start();
        if (traces)
        {
            _spans = new ActivityListener { ShouldListenTo = source => source.Name == "TcpToolkit", Sample = static (ref _) => ActivitySamplingResult.None };
            ActivitySource.AddActivityListener(_spans);
        }
    }

    public long Measurements => Interlocked.Read(ref _measurements);

    public static TelemetryListener Start(bool traces) => new(traces);

    public void Dispose()
    {
        _meters.Dispose();
        _spans?.Dispose();
    }
}
