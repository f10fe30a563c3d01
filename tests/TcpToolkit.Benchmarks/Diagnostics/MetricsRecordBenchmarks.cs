using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using TcpToolkit.Benchmarks.Codecs;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Benchmarks.Diagnostics;

/// <summary>
/// Issue 14's hot-path question: what one measurement costs per frame. <see cref="FrameCounterCountOnly"/> is what a
/// <c>FrameReader</c>/<c>FrameWriter</c> over a connection adds per frame by default (a plain increment),
/// <see cref="FrameCounterCount"/> the same with the opt-in <c>frame.size</c> histogram; <see cref="HistogramRecord"/> and <see cref="CounterAdd"/>
/// are one instrument call with the two attributes a frame carries (direction, codec), for comparison.
/// </summary>
[Config(typeof(CodecBenchmarkConfig))]
public class MetricsRecordBenchmarks
{
    private const string MeterName = "TcpToolkit.Benchmarks.Record";
    private static readonly KeyValuePair<string, object?> Direction = new("network.io.direction", "receive");
    private static readonly KeyValuePair<string, object?> Codec = new("tcptoolkit.frame.codec", "length_field");
    private Histogram<long> _size = null!;
    private Counter<long> _frames = null!;
    private FrameCounter _counter = null!;
    private FrameCounter _countOnly = null!;
    private IDisposable? _consumer;
    private long _plain;

    [Params(MetricsConsumers.None, MetricsConsumers.Listener, MetricsConsumers.OpenTelemetry)]
    public string Consumer { get; set; } = MetricsConsumers.None;

    [GlobalSetup]
    public void Setup()
    {
        var meter = new Meter(MeterName);
        _size = meter.CreateHistogram<long>("bench.frame.size", "By", null, null, new InstrumentAdvice<long> { HistogramBucketBoundaries = [16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216] });
        _frames = meter.CreateCounter<long>("bench.frames", "{frame}");
        _counter = new FrameCounter("length_field", receive: true, _size);
        _countOnly = new FrameCounter("length_field", receive: true, size: null);
        _consumer = MetricsConsumers.Attach(Consumer, MeterName);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _consumer?.Dispose();
        _size.Meter.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long FieldIncrement() => ++_plain;

    /// <summary>The default: <c>RecordFrameSizes</c> off, a frame is an increment whoever listens.</summary>
    [Benchmark]
    public long FrameCounterCountOnly()
    {
        _countOnly.Count(-1);
        return _countOnly.Frames;
    }

    /// <summary>With <c>RecordFrameSizes</c>: the increment and the histogram measurement.</summary>
    [Benchmark]
    public long FrameCounterCount()
    {
        _counter.Count(36);
        return _counter.Frames;
    }

    [Benchmark]
    public void HistogramRecord() => _size.Record(36, Direction, Codec);

    [Benchmark]
    public void CounterAdd() => _frames.Add(1, Direction, Codec);
}
