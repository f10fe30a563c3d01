using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;
using TcpToolkit.Tests.Framing.Infrastructure;
using TcpToolkit.Tests.Infrastructure;

namespace TcpToolkit.Tests.Messaging.Internal;

/// <summary>Protocol version 1 on the wire: golden bytes, every chunking, metadata, and the protocol errors.</summary>
public sealed class MessageFrameCodecTests
{
    // length 20 | kind 3 Request | flags 0 | id 0x0102030405060708 | timeout 1500 ms | method "kv" | payload "abc".
    private static readonly byte[] s_request =
    [
        0, 0, 0, 20, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x05, 0xDC, 2, (byte)'k', (byte)'v', (byte)'a', (byte)'b', (byte)'c',
    ];

    [Fact]
    public void WriteCall_Request_ProducesTheDocumentedBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        Wire.WriteCall(output, FrameKind.Request, 0x0102030405060708, 1500, "kv", 2, ReadOnlySpan<byte>.Empty, "abc"u8);

        output.WrittenSpan.ToArray().Should().Equal(s_request);
    }

    [Fact]
    public void WriteSimple_EmptyPong_IsFourteenBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        Wire.WriteSimple(output, FrameKind.Pong, 7, ReadOnlySpan<byte>.Empty);

        output.WrittenSpan.ToArray().Should().Equal(0, 0, 0, 10, 9, 0, 0, 0, 0, 0, 0, 0, 0, 7);
    }

    [Fact]
    public void WriteHello_Fields_RoundTrip()
    {
        var output = new ArrayBufferWriter<byte>();
        var metadata = Wire.EncodeMetadata([new("token", "s3cret")]);

        Wire.WriteHello(output, FrameKind.Hello, new HelloFields(1, 65536, 32, 1 << 20, 2500), metadata);
        var frame = Decode(new ReadOnlySequence<byte>(output.WrittenMemory), 1024);

        frame.Kind.Should().Be(FrameKind.Hello);
        frame.Hello.Should().Be(new HelloFields(1, 65536, 32, 1 << 20, 2500));
        Wire.DecodeMetadata(frame.Metadata.ToArray()).Should().Equal(new Dictionary<string, string> { ["token"] = "s3cret" });
    }

    [Fact]
    public void TryDecode_SplitAtEveryOffset_SameFrames()
    {
        var wire = DecodeHarness.Concat(s_request, s_request);
        for (var cut = 1; cut < wire.Length; cut++)
        {
            var input = TestSequence.FromChunks(TestSequence.Split(wire, cut));
            var decoder = new MessageFrameDecoder(1024);
            var consumed = input.Start;
            var examined = input.Start;

            decoder.TryDecode(input, ref consumed, ref examined, out var first).Should().BeTrue($"cut at {cut}");
            first.Kind.Should().Be(FrameKind.Request);
            first.Id.Should().Be(0x0102030405060708UL);
            first.TimeoutMilliseconds.Should().Be(1500);
            first.Method.ToArray().Should().Equal("kv"u8.ToArray());
            first.Payload.ToArray().Should().Equal("abc"u8.ToArray());
            var rest = input.Slice(consumed);
            decoder.TryDecode(rest, ref consumed, ref examined, out var second).Should().BeTrue();
            second.Payload.ToArray().Should().Equal("abc"u8.ToArray());
        }
    }

    [Fact]
    public void TryDecode_IncompleteFrame_NeedsMoreAndExaminesAll()
    {
        var input = new ReadOnlySequence<byte>(s_request.AsMemory(0, 10));
        var consumed = input.Start;
        var examined = input.Start;

        new MessageFrameDecoder(1024).TryDecode(input, ref consumed, ref examined, out _).Should().BeFalse();

        examined.Should().Be(input.End);
        consumed.Should().Be(input.Start);
    }

    [Fact]
    public void TryDecode_ErrorWithCode_CodeAndMessage()
    {
        var output = new ArrayBufferWriter<byte>();
        Wire.WriteError(output, 9, MessageErrorCode.NotExecuted, "later", 1024);

        var frame = Decode(new ReadOnlySequence<byte>(output.WrittenMemory), 1024);

        frame.Kind.Should().Be(FrameKind.Error);
        frame.Id.Should().Be(9UL);
        frame.ErrorCode.Should().Be(MessageErrorCode.NotExecuted);
        frame.Payload.ToArray().Should().Equal("later"u8.ToArray());
    }

    [Fact]
    public void WriteError_MessageLongerThanTheFrameLimit_IsCutToFit()
    {
        var output = new ArrayBufferWriter<byte>();

        Wire.WriteError(output, 1, MessageErrorCode.HandlerFailed, new string('é', 400), 256);

        output.WrittenCount.Should().BeLessThanOrEqualTo(256);
    }

    [Fact]
    public void TryDecode_BodyShorterThanHeader_ThrowsInvalidFrame()
    {
        var act = () => Decode(new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 4, 3, 0, 0, 0 }), 1024);

        act.Should().Throw<InvalidFrameException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(255)]
    public void TryDecode_UnknownKind_ThrowsInvalidFrame(byte kind)
    {
        var act = () => Decode(new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 10, kind, 0, 0, 0, 0, 0, 0, 0, 0, 1 }), 1024);

        act.Should().Throw<InvalidFrameException>().WithMessage($"*{kind}*");
    }

    [Fact]
    public void TryDecode_UnknownFlag_ThrowsInvalidFrame()
    {
        var act = () => Decode(new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 10, 8, 2, 0, 0, 0, 0, 0, 0, 0, 1 }), 1024);

        act.Should().Throw<InvalidFrameException>().WithMessage("*flags*");
    }

    [Fact]
    public void TryDecode_MetadataLongerThanTheFrame_ThrowsInvalidFrame()
    {
        // A OneWay with the metadata flag, method "", and a metadata length of 200 in a 16-byte body.
        var act = () => Decode(new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 13, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200 }), 1024);

        act.Should().Throw<InvalidFrameException>();
    }

    [Fact]
    public void TryDecode_LengthAboveMaxFrameLength_ThrowsBeforeThePayloadArrives()
    {
        var act = () => Decode(new ReadOnlySequence<byte>(new byte[] { 0, 0, 1, 0, 3 }), 100);

        act.Should().Throw<FrameTooLargeException>();
    }

    [Fact]
    public void Metadata_RoundTrip_KeepsEveryEntry()
    {
        var entries = new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ["é"] = string.Empty };

        Wire.DecodeMetadata(Wire.EncodeMetadata(entries)).Should().Equal(entries);
    }

    private static MessageFrame Decode(ReadOnlySequence<byte> input, int max)
    {
        var consumed = input.Start;
        var examined = input.Start;
        new MessageFrameDecoder(max).TryDecode(input, ref consumed, ref examined, out var frame);
        return frame;
    }
}
