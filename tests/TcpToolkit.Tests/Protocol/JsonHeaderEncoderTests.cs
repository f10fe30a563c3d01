using System.Buffers;
using System.Text;
using TcpToolkit.Framing;
using TcpToolkit.Protocol;

namespace TcpToolkit.Tests.Protocol;

public sealed class JsonHeaderEncoderTests
{
    private static readonly JsonHeaderEncoder s_littleEndian = new(new JsonHeaderCodecOptions { ByteOrder = "little" });

    [Fact]
    public void Encode_SearchMorpheusRequest_MatchesGuideBytes()
    {
        byte[] bytes = EncodeLittle(ProtocolMessages.SearchRequest("morpheus"));

        bytes.Should().HaveCount(146).And.Equal(ProtocolGoldenVectors.SearchMorpheusRequest);
    }

    [Fact]
    public void Encode_WhiteRabbitResponse_MatchesGuideBytes()
    {
        byte[] bytes = EncodeLittle(ProtocolMessages.SearchResponse("Follow the white rabbit. 🐰"));

        bytes.Should().HaveCount(148).And.Equal(ProtocolGoldenVectors.SearchMorpheusResponse);
    }

    [Fact]
    public void Encode_SearchFooRequest_MatchesGuideBytes()
    {
        byte[] bytes = EncodeLittle(ProtocolMessages.SearchRequest("foo"));

        bytes.Should().HaveCount(141).And.Equal(ProtocolGoldenVectors.SearchFooRequest);
    }

    [Fact]
    public void Encode_NoMatchResponse_MatchesGuideBytes()
    {
        byte[] bytes = EncodeLittle(ProtocolMessages.SearchResponse("No match for 'foo'."));

        bytes.Should().HaveCount(138).And.Equal(ProtocolGoldenVectors.SearchFooResponse);
    }

    [Fact]
    public void Encode_BinaryRequest_MatchesGuideBytes()
    {
        byte[] bytes = EncodeLittle(ProtocolMessages.BinaryRequest("binary", "😃"));

        bytes.Should().HaveCount(139).And.Equal(ProtocolGoldenVectors.BinaryRequest);
    }

    [Fact]
    public void Encode_BinaryResponse_MatchesGuideBytes()
    {
        byte[] request = Encoding.UTF8.GetBytes("binary😃");
        byte[] content = [.. "First 10 bytes of request: "u8, .. request.AsSpan(0, Math.Min(10, request.Length))];

        byte[] bytes = EncodeLittle(JsonHeaderMessage.CreateBinary(content, ProtocolMessages.ServerBinaryContentType));

        bytes.Should().HaveCount(166).And.Equal(ProtocolGoldenVectors.BinaryResponse);
    }

    [Fact]
    public void Encode_DecodedGoldenVector_ReproducesIt()
    {
        foreach (byte[] vector in new[]
        {
            ProtocolGoldenVectors.SearchMorpheusRequest, ProtocolGoldenVectors.SearchMorpheusResponse,
            ProtocolGoldenVectors.SearchFooRequest, ProtocolGoldenVectors.SearchFooResponse,
            ProtocolGoldenVectors.BinaryRequest, ProtocolGoldenVectors.BinaryResponse,
        })
        {
            JsonHeaderMessage message = ProtocolTestSequences.DecodeSingle(new JsonHeaderDecoder(), new ReadOnlySequence<byte>(vector), out _);

            EncodeLittle(message).Should().Equal(vector);
        }
    }

    [Fact]
    public void Encode_DefaultOptions_WritesHostByteOrder()
    {
        byte[] bytes = Encode(new JsonHeaderEncoder(), ProtocolMessages.SearchResponse("x"));

        string expected = BitConverter.IsLittleEndian ? "little" : "big";
        Encoding.UTF8.GetString(bytes).Should().Contain($"{{\"byteorder\": \"{expected}\", ");
        JsonHeaderMessage.HostByteOrder.Should().Be(expected);
    }

    [Fact]
    public void Encode_BigByteOrderOption_WritesBig()
    {
        var encoder = new JsonHeaderEncoder(new JsonHeaderCodecOptions { ByteOrder = "big" });

        byte[] bytes = Encode(encoder, ProtocolMessages.SearchResponse("x"));

        Encoding.UTF8.GetString(bytes).Should().Contain("{\"byteorder\": \"big\", ");
    }

    [Fact]
    public void Encode_EmptyContent_WritesZeroLength()
    {
        byte[] bytes = EncodeLittle(JsonHeaderMessage.CreateBinary(ReadOnlyMemory<byte>.Empty, "binary/x"));

        Encoding.UTF8.GetString(bytes.AsSpan(2)).Should().Be(
            """{"byteorder": "little", "content-type": "binary/x", "content-encoding": "binary", "content-length": 0}""");
    }

    [Fact]
    public void Encode_SmallOutputSegments_SameBytes()
    {
        // A writer that hands out 1-byte spans: the JSON writer must chunk correctly.
        var output = new TinySpanBufferWriter();

        s_littleEndian.Encode(ProtocolMessages.SearchResponse("Follow the white rabbit. 🐰"), output);

        output.Written.Should().Equal(ProtocolGoldenVectors.SearchMorpheusResponse);
    }

    [Fact]
    public void Encode_ContentAboveMaximum_ThrowsAndWritesNothing()
    {
        var encoder = new JsonHeaderEncoder(new JsonHeaderCodecOptions { MaxContentLength = 3 });
        var output = new ArrayBufferWriter<byte>();

        Action act = () => encoder.Encode(JsonHeaderMessage.CreateBinary(new byte[4], "b"), output);

        act.Should().Throw<FrameTooLargeException>().Which.Should().Match<FrameTooLargeException>(e => e.Length == 4 && e.MaxFrameLength == 3);
        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void Encode_ContentAtMaximum_Writes()
    {
        var encoder = new JsonHeaderEncoder(new JsonHeaderCodecOptions { MaxContentLength = 3 });

        byte[] bytes = Encode(encoder, JsonHeaderMessage.CreateBinary(new byte[3], "b"));

        bytes[^3..].Should().Equal(0, 0, 0);
    }

    [Fact]
    public void Encode_HeaderAtLimit_Writes()
    {
        int overhead = HeaderLength(string.Empty);
        var output = new ArrayBufferWriter<byte>();

        s_littleEndian.Encode(JsonHeaderMessage.CreateBinary(ReadOnlyMemory<byte>.Empty, new string('t', 65535 - overhead)), output);

        output.WrittenSpan[..2].ToArray().Should().Equal(0xFF, 0xFF);
        output.WrittenCount.Should().Be(2 + 65535);
    }

    [Fact]
    public void Encode_HeaderAboveLimit_ThrowsAndWritesNothing()
    {
        int overhead = HeaderLength(string.Empty);
        var output = new ArrayBufferWriter<byte>();

        Action act = () => s_littleEndian.Encode(
            JsonHeaderMessage.CreateBinary(ReadOnlyMemory<byte>.Empty, new string('t', 65536 - overhead)), output);

        act.Should().Throw<FrameTooLargeException>().Which.Should().Match<FrameTooLargeException>(e => e.Length == 65536 && e.MaxFrameLength == 65535);
        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void Encode_LoneSurrogateInContentType_ThrowsAndWritesNothing()
    {
        var output = new ArrayBufferWriter<byte>();

        Action act = () => s_littleEndian.Encode(JsonHeaderMessage.CreateBinary(ReadOnlyMemory<byte>.Empty, "bin/\ud800"), output);

        act.Should().Throw<ArgumentException>();
        output.WrittenCount.Should().Be(0);
    }

    [Fact]
    public void Encode_NullArguments_Throw()
    {
        Action nullFrame = () => s_littleEndian.Encode(null!, new ArrayBufferWriter<byte>());
        Action nullOutput = () => s_littleEndian.Encode(ProtocolMessages.SearchResponse("x"), null!);
        Action nullOptions = () => _ = new JsonHeaderEncoder(null!);

        nullFrame.Should().Throw<ArgumentNullException>();
        nullOutput.Should().Throw<ArgumentNullException>();
        nullOptions.Should().Throw<ArgumentNullException>();
    }

    private static int HeaderLength(string contentType) =>
        Encoding.UTF8.GetByteCount(
            $$"""{"byteorder": "little", "content-type": "{{contentType}}", "content-encoding": "binary", "content-length": 0}""");

    private static byte[] EncodeLittle(JsonHeaderMessage message) => Encode(s_littleEndian, message);

    private static byte[] Encode(JsonHeaderEncoder encoder, JsonHeaderMessage message)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(message, output);
        return output.WrittenSpan.ToArray();
    }

    private sealed class TinySpanBufferWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public byte[] Written => [.. _written];

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
