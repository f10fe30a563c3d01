using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using TcpToolkit.Framing;

namespace TcpToolkit.Benchmarks.Codecs;

/// <summary>
/// The whole pipe path: a <see cref="FrameWriter"/> writes a batch of length-prefixed frames with one flush, a
/// <see cref="FrameReader"/> reads them back. Reported per frame (OperationsPerInvoke), so the allocation column is
/// what one frame costs in steady state.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CodecBenchmarkConfig))]
public class CodecFrameReaderBenchmarks
{
    private const int FramesPerBatch = 64;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
    private readonly LengthFieldFrameEncoder _encoder = new(CodecInputs.LengthField);
    private readonly LengthFieldFrameDecoder _decoder = new(CodecInputs.LengthField);
    private FrameReader _reader = null!;
    private FrameWriter _writer = null!;
    private ReadOnlyMemory<byte> _payload;

    [Params(32, 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = CodecInputs.Payload(PayloadSize);
        _reader = new FrameReader(_pipe.Reader);
        _writer = new FrameWriter(_pipe.Writer);
    }

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

        // Hand the batch's buffer back to the pipe so the next batch reuses the same blocks.
        _reader.Advance();
        return total;
    }
}
