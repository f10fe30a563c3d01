using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using TcpToolkit.Benchmarks.Codecs;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics;
using TcpToolkit.Diagnostics.Internal;
using TcpToolkit.Framing;

namespace TcpToolkit.Benchmarks.Diagnostics;

/// <summary>
/// The codec suite's pipe path (<see cref="CodecFrameReaderBenchmarks"/>: a batch of 32-byte length-prefixed frames
/// written with one flush, then read back) with the frame metrics on: <c>off</c> is a reader and a writer over the
/// bare pipe (no metrics), the others over a connection whose telemetry counts every frame both ways, with nobody
/// listening, a bare <c>MeterListener</c>, or the OpenTelemetry SDK, and with the opt-in <c>frame.size</c> histogram
/// (then two measurements per frame: once written, once read). Per frame, as an echo server pays per message.
/// </summary>
[Config(typeof(CodecBenchmarkConfig))]
public class FrameMetricsBenchmarks
{
    private const int FramesPerBatch = 64;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
    private readonly LengthFieldFrameEncoder _encoder = new(CodecInputs.LengthField);
    private readonly LengthFieldFrameDecoder _decoder = new(CodecInputs.LengthField);
    private FrameReader _reader = null!;
    private FrameWriter _writer = null!;
    private ReadOnlyMemory<byte> _payload;
    private IDisposable? _consumer;

    [Params("off", MetricsConsumers.None, MetricsConsumers.Listener, MetricsConsumers.OpenTelemetry)]
    public string Metrics { get; set; } = "off";

    /// <summary>Gets or sets whether the opt-in <c>frame.size</c> histograms record (<c>RecordFrameSizes</c>).</summary>
    [Params(false, true)]
    public bool FrameSizes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = CodecInputs.Payload(32);
        if (Metrics == "off")
        {
            _reader = new FrameReader(_pipe.Reader);
            _writer = new FrameWriter(_pipe.Writer);
            return;
        }

        // The process-wide TcpToolkit meter, as a server without a meter factory records on.
        _consumer = MetricsConsumers.Attach(Metrics, TcpToolkitTelemetry.MeterName);
        var side = TcpToolkitMetrics.For(factory: null).Server;
        var connection = new PipeConnection(_pipe) { Telemetry = side.Create(TelemetryTags.None, TimeProvider.System, TimeProvider.System.GetTimestamp(), FrameSizes) };
        _reader = new FrameReader(connection);
        _writer = new FrameWriter(connection);
    }

    [GlobalCleanup]
    public void Cleanup() => _consumer?.Dispose();

    [Benchmark(OperationsPerInvoke = FramesPerBatch)]
    public async ValueTask<long> WriteThenReadLengthPrefixed()
    {
        for (var i = 0; i < FramesPerBatch; i++)
        {
            _writer.Write(_encoder, _payload);
        }

        await _writer.FlushAsync().ConfigureAwait(false);
        long total = 0;
        for (var i = 0; i < FramesPerBatch; i++)
        {
            var result = await _reader.ReadAsync(_decoder).ConfigureAwait(false);
            total += result.Frame.Length;
        }

        _reader.Advance();
        return total;
    }

    /// <summary>A connection that is the benchmark's pipe looped back: frames written are the frames read.</summary>
    private sealed class PipeConnection(Pipe pipe) : Connection
    {
        private IDuplexPipe _transport = new Loopback(pipe.Reader, pipe.Writer);

        public override string Id => "bench";

        public override IDuplexPipe Transport
        {
            get => _transport;
            set => _transport = value;
        }

        public override EndPoint? LocalEndPoint { get; set; }

        public override EndPoint? RemoteEndPoint { get; set; }

        public override CancellationToken ConnectionClosed => CancellationToken.None;

        public override CloseReason CloseReason => CloseReason.None;

        public override Task CloseAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public override void Abort(CloseReason reason, string? message)
        {
        }

        private sealed record Loopback(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    }
}
