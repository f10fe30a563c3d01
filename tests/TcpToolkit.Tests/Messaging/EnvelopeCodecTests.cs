using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Messaging;
using TcpToolkit.Tests.Framing.Infrastructure;
using TcpToolkit.Tests.Infrastructure;

namespace TcpToolkit.Tests.Messaging;

/// <summary>The message envelope on the wire: golden bytes, every chunking, and the protocol errors.</summary>
public sealed class EnvelopeCodecTests
{
    // length 8 (kind + id + 3 payload bytes), kind 1 Request, id 0x01020304, payload "abc".
    private static readonly byte[] s_request = [0, 0, 0, 8, 1, 1, 2, 3, 4, (byte)'a', (byte)'b', (byte)'c'];

    [Fact]
    public void Write_Request_ProducesTheDocumentedBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        Envelope.Write(output, MessageKind.Request, 0x01020304, "abc"u8);

        output.WrittenSpan.ToArray().Should().Equal(s_request);
    }

    [Fact]
    public void Write_EmptyPong_IsNineBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        Envelope.Write(output, MessageKind.Pong, 7, ReadOnlySpan<byte>.Empty);

        output.WrittenSpan.ToArray().Should().Equal(0, 0, 0, 5, 7, 0, 0, 0, 7);
    }

    [Fact]
    public void TryDecode_SplitAtEveryOffset_SameEnvelope()
    {
        var wire = DecodeHarness.Concat(s_request, s_request);
        for (var cut = 1; cut < wire.Length; cut++)
        {
            var input = TestSequence.FromChunks(TestSequence.Split(wire, cut));
            var decoder = new EnvelopeDecoder(1024);
            var consumed = input.Start;
            var examined = input.Start;

            decoder.TryDecode(input, ref consumed, ref examined, out var first).Should().BeTrue($"cut at {cut}");
            first.Kind.Should().Be(MessageKind.Request);
            first.Id.Should().Be(0x01020304u);
            first.Payload.ToArray().Should().Equal("abc"u8.ToArray());
            var rest = input.Slice(consumed);
            decoder.TryDecode(rest, ref consumed, ref examined, out var second).Should().BeTrue();
            second.Payload.ToArray().Should().Equal("abc"u8.ToArray());
        }
    }

    [Fact]
    public void TryDecode_IncompleteEnvelope_NeedsMoreAndExaminesAll()
    {
        var input = new ReadOnlySequence<byte>(s_request.AsMemory(0, 10));
        var consumed = input.Start;
        var examined = input.Start;

        new EnvelopeDecoder(1024).TryDecode(input, ref consumed, ref examined, out _).Should().BeFalse();

        examined.Should().Be(input.End);
        consumed.Should().Be(input.Start);
    }

    [Fact]
    public void TryDecode_BodyShorterThanKindAndId_ThrowsInvalidFrame()
    {
        var input = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 4, 1, 0, 0, 0 });

        var act = () => Decode(input, 1024);

        act.Should().Throw<InvalidFrameException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(255)]
    public void TryDecode_UnknownKind_ThrowsInvalidFrame(byte kind)
    {
        var input = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 5, kind, 0, 0, 0, 1 });

        var act = () => Decode(input, 1024);

        act.Should().Throw<InvalidFrameException>().WithMessage($"*{kind}*");
    }

    [Fact]
    public void TryDecode_LengthAboveMaxFrameLength_ThrowsBeforeThePayloadArrives()
    {
        var input = new ReadOnlySequence<byte>(new byte[] { 0, 0, 1, 0, 1 });

        var act = () => Decode(input, 100);

        act.Should().Throw<FrameTooLargeException>();
    }

    [Fact]
    public void CheckLength_HeaderPlusPayloadAboveMax_Throws()
    {
        ((Action)(() => Envelope.CheckLength(91, 100))).Should().NotThrow();
        ((Action)(() => Envelope.CheckLength(92, 100))).Should().Throw<FrameTooLargeException>();
    }

    private static Envelope Decode(ReadOnlySequence<byte> input, int max)
    {
        var consumed = input.Start;
        var examined = input.Start;
        new EnvelopeDecoder(max).TryDecode(input, ref consumed, ref examined, out var envelope);
        return envelope;
    }
}
