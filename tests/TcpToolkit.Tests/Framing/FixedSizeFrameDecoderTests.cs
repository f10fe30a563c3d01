using System.Buffers;
using TcpToolkit.Framing;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class FixedSizeFrameDecoderTests
{
    [Fact]
    public async Task TryDecode_AnyChunking_SameFrames()
    {
        var options = new FixedSizeCodecOptions { FrameLength = 3 };

        await AssertAllChunkingsAsync(() => new FixedSizeFrameDecoder(options), Ascii("abcdefghi"), [Ascii("abc"), Ascii("def"), Ascii("ghi")]);
    }

    [Fact]
    public void TryDecode_PartialFrame_ExaminedIsEnd()
    {
        var decoder = new FixedSizeFrameDecoder(new FixedSizeCodecOptions { FrameLength = 4 });
        var input = new ReadOnlySequence<byte>(Ascii("abc"));
        var consumed = input.Start;
        var examined = input.Start;

        decoder.TryDecode(input, ref consumed, ref examined, out _).Should().BeFalse();

        examined.Should().Be(input.End);
    }

    [Fact]
    public void Ctor_FrameLengthAboveMax_ThrowsArgumentException()
    {
        var options = new FixedSizeCodecOptions { FrameLength = 2_000_000 };

        FluentActions.Invoking(() => new FixedSizeFrameDecoder(options)).Should().Throw<ArgumentException>().WithMessage("*MaxFrameLength*");
        FluentActions.Invoking(() => new FixedSizeFrameEncoder(options)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Options_NonPositiveLength_Throws()
    {
        FluentActions.Invoking(() => new FixedSizeCodecOptions { FrameLength = 0 }).Should().Throw<ArgumentOutOfRangeException>();
        new FixedSizeCodecOptions { FrameLength = 1 }.MaxFrameLength.Should().Be(1_048_576);
    }
}
