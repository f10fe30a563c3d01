using System.Buffers;
using BenchmarkDotNet.Attributes;
using TcpToolkit.Framing;

namespace TcpToolkit.Benchmarks.Codecs;

/// <summary>
/// Encodes one frame per operation into a reused buffer writer. Single-segment input is a
/// <see cref="ReadOnlyMemory{T}"/>, multi-segment input a <see cref="ReadOnlySequence{T}"/> (for example a decoded
/// frame being echoed).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CodecBenchmarkConfig))]
public class CodecEncodeBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(70_000);
    private LengthFieldFrameEncoder _lengthField = null!;
    private DelimiterFrameEncoder _delimiter = null!;
    private FixedSizeFrameEncoder _fixedSize = null!;
    private MarkerFrameEncoder _marker = null!;
    private ReadOnlyMemory<byte> _payload;
    private ReadOnlySequence<byte> _payloadSequence;

    [Params(32, 1024, 65536)]
    public int PayloadSize { get; set; }

    [Params(false, true)]
    public bool MultiSegment { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = CodecInputs.Payload(PayloadSize);
        _payload = payload;
        _payloadSequence = CodecInputs.Sequence(payload, multiSegment: true);
        _lengthField = new LengthFieldFrameEncoder(CodecInputs.LengthField);
        _delimiter = new DelimiterFrameEncoder(CodecInputs.Delimiter);
        _fixedSize = new FixedSizeFrameEncoder(CodecInputs.FixedSize(PayloadSize));
        _marker = new MarkerFrameEncoder(CodecInputs.Marker);
    }

    [Benchmark]
    public int LengthField() => Encode(_lengthField);

    [Benchmark]
    public int Delimiter() => Encode(_delimiter);

    [Benchmark]
    public int FixedSize() => Encode(_fixedSize);

    [Benchmark]
    public int Marker() => Encode(_marker);

    private int Encode<TEncoder>(TEncoder encoder)
        where TEncoder : IFrameEncoder<ReadOnlyMemory<byte>>, IFrameEncoder<ReadOnlySequence<byte>>
    {
        _output.ResetWrittenCount();
        if (MultiSegment)
        {
            encoder.Encode(_payloadSequence, _output);
        }
        else
        {
            encoder.Encode(_payload, _output);
        }

        return _output.WrittenCount;
    }
}
