using System.Buffers;
using BenchmarkDotNet.Attributes;
using TcpToolkit.Framing;

namespace TcpToolkit.Benchmarks.Codecs;

/// <summary>Decodes one frame per operation from a buffer that holds exactly one frame.</summary>
[MemoryDiagnoser]
[Config(typeof(CodecBenchmarkConfig))]
public class CodecDecodeBenchmarks
{
    private LengthFieldFrameDecoder _lengthField = null!;
    private DelimiterFrameDecoder _delimiter = null!;
    private FixedSizeFrameDecoder _fixedSize = null!;
    private MarkerFrameDecoder _marker = null!;
    private ReadOnlySequence<byte> _lengthFieldInput;
    private ReadOnlySequence<byte> _delimiterInput;
    private ReadOnlySequence<byte> _fixedSizeInput;
    private ReadOnlySequence<byte> _markerInput;

    [Params(32, 1024, 65536)]
    public int PayloadSize { get; set; }

    [Params(false, true)]
    public bool MultiSegment { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = CodecInputs.Payload(PayloadSize);
        var fixedSize = CodecInputs.FixedSize(PayloadSize);
        _lengthField = new LengthFieldFrameDecoder(CodecInputs.LengthField);
        _delimiter = new DelimiterFrameDecoder(CodecInputs.Delimiter);
        _fixedSize = new FixedSizeFrameDecoder(fixedSize);
        _marker = new MarkerFrameDecoder(CodecInputs.Marker);
        _lengthFieldInput = CodecInputs.Sequence(CodecInputs.Encode(new LengthFieldFrameEncoder(CodecInputs.LengthField), payload), MultiSegment);
        _delimiterInput = CodecInputs.Sequence(CodecInputs.Encode(new DelimiterFrameEncoder(CodecInputs.Delimiter), payload), MultiSegment);
        _fixedSizeInput = CodecInputs.Sequence(CodecInputs.Encode(new FixedSizeFrameEncoder(fixedSize), payload), MultiSegment);
        _markerInput = CodecInputs.Sequence(CodecInputs.Encode(new MarkerFrameEncoder(CodecInputs.Marker), payload), MultiSegment);
    }

    [Benchmark]
    public long LengthField() => Decode(_lengthField, _lengthFieldInput);

    [Benchmark]
    public long Delimiter() => Decode(_delimiter, _delimiterInput);

    [Benchmark]
    public long FixedSize() => Decode(_fixedSize, _fixedSizeInput);

    [Benchmark]
    public long Marker() => Decode(_marker, _markerInput);

    private static long Decode<TDecoder>(TDecoder decoder, in ReadOnlySequence<byte> input)
        where TDecoder : IFrameDecoder<ReadOnlySequence<byte>>
    {
        var consumed = input.Start;
        var examined = input.Start;
        return decoder.TryDecode(input, ref consumed, ref examined, out var frame)
            ? frame.Length
            : throw new InvalidOperationException("The benchmark input must hold one whole frame.");
    }
}
