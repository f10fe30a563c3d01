using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Tests.Infrastructure;
using TcpToolkit.Tests.Framing.Infrastructure;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class LengthFieldFrameEncoderTests
{
    [Fact]
    public void Encode_SmallFrame_HeaderAndPayloadInOneSpan()
    {
        var writer = new RecordingBufferWriter();
        var encoder = new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt32BigEndian);

        encoder.Encode(Ascii("abc").AsMemory(), writer);

        writer.GetCalls.Should().Be(1);
        writer.Advances.Should().Equal(7);
        writer.Written.Should().Equal(0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c');
    }

    [Fact]
    public void Encode_MultiSegmentPayload_HeaderAndPayloadInOneSpan()
    {
        var writer = new RecordingBufferWriter();
        var encoder = new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt16BigEndian);

        encoder.Encode(TestSequence.FromChunks([[1], [2, 3]]), writer);

        writer.Advances.Should().Equal(5);
        writer.Written.Should().Equal(0, 3, 1, 2, 3);
    }

    [Fact]
    public void Encode_WriterWithSmallSpans_FallsBackToPiecesWithSameBytes()
    {
        var writer = new RecordingBufferWriter(maxSpan: 4);
        var encoder = new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt16BigEndian);

        encoder.Encode(new byte[] { 1, 2, 3, 4, 5, 6 }.AsMemory(), writer);

        writer.Written.Should().Equal(0, 6, 1, 2, 3, 4, 5, 6);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(8, false)]
    public void Encode_AnyFieldLayout_WritesTheHeaderTheDecoderReads(int size, bool littleEndian)
    {
        var options = new LengthFieldCodecOptions { LengthFieldSize = size, IsLittleEndian = littleEndian };
        var writer = new ArrayBufferWriter<byte>();

        new LengthFieldFrameEncoder(options).Encode(new byte[200].AsMemory(), writer);

        writer.WrittenSpan[..size].ToArray().Should().Equal(LengthFieldFrameDecoderTests.Header(size, littleEndian, 200));
        DecodeChunks(new LengthFieldFrameDecoder(options), [writer.WrittenSpan.ToArray()]).Frames.Should().ContainSingle().Which.Length.Should().Be(200);
    }

    [Fact]
    public void Encode_LengthCountsHeader_WritesAdjustedValue()
    {
        var writer = new ArrayBufferWriter<byte>();

        new LengthFieldFrameEncoder(new LengthFieldCodecOptions { LengthAdjustment = -4 }).Encode(new byte[3].AsMemory(), writer);

        writer.WrittenSpan[..4].ToArray().Should().Equal(0, 0, 0, 7);
    }

    [Fact]
    public void Encode_PayloadBeyondFieldRange_ThrowsFrameTooLarge()
    {
        var encoder = new LengthFieldFrameEncoder(new LengthFieldCodecOptions { LengthFieldSize = 1 });

        var act = () => encoder.Encode(new byte[256].AsMemory(), new ArrayBufferWriter<byte>());

        act.Should().Throw<FrameTooLargeException>();
    }

    [Fact]
    public void Encode_AboveMax_ThrowsFrameTooLargeAndWritesNothing()
    {
        var writer = new RecordingBufferWriter();
        var encoder = new LengthFieldFrameEncoder(new LengthFieldCodecOptions { MaxFrameLength = 10 });

        var act = () => encoder.Encode(new byte[7].AsMemory(), writer);

        act.Should().Throw<FrameTooLargeException>().Which.Length.Should().Be(11);
        writer.Advances.Should().BeEmpty();
    }

    [Fact]
    public void Ctor_OptionsWithOffset_ThrowsArgumentException()
    {
        var act = () => new LengthFieldFrameEncoder(new LengthFieldCodecOptions { LengthFieldOffset = 2 });

        act.Should().Throw<ArgumentException>();
    }
}
