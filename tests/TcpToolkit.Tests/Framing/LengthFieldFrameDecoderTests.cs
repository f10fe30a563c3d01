using System.Buffers;
using TcpToolkit.Framing;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class LengthFieldFrameDecoderTests
{
    public static TheoryData<int, bool> FieldLayouts() => new()
    {
        { 1, false }, { 2, false }, { 3, false }, { 4, false }, { 8, false },
        { 1, true }, { 2, true }, { 3, true }, { 4, true }, { 8, true },
    };

    [Theory]
    [MemberData(nameof(FieldLayouts))]
    public async Task TryDecode_AnyChunking_SameFrames(int fieldSize, bool littleEndian)
    {
        var options = new LengthFieldCodecOptions { LengthFieldSize = fieldSize, IsLittleEndian = littleEndian };
        var expected = new[] { Ascii("hello"), [], Ascii("x"), Ascii("world!") };
        var wire = Concat([.. expected.Select(p => Header(fieldSize, littleEndian, p.Length).Concat(p).ToArray())]);

        await AssertAllChunkingsAsync(() => new LengthFieldFrameDecoder(options), wire, expected);
    }

    [Fact]
    public void TryDecode_BigEndianThreeByteField_ReadsMostSignificantFirst()
    {
        var payload = new byte[0x010203];
        var wire = Concat([0x01, 0x02, 0x03], payload);

        var frames = DecodeChunks(new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 3, MaxFrameLength = 0x020000 }), [wire]).Frames;

        frames.Should().ContainSingle().Which.Length.Should().Be(0x010203);
    }

    [Fact]
    public void TryDecode_LengthCountsHeader_NegativeAdjustmentGivesPayload()
    {
        // A 4-byte length that includes itself: 4 + 3 = 7.
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthAdjustment = -4 });

        var frames = DecodeChunks(decoder, [[0, 0, 0, 7, 1, 2, 3]]).Frames;

        frames.Should().ContainSingle().Which.Should().Equal(1, 2, 3);
    }

    [Fact]
    public void TryDecode_OffsetAndNoStrip_FrameKeepsWholeHeader()
    {
        // Netty's example: a 2-byte tag, a 2-byte length, the payload; keep everything.
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldOffset = 2, LengthFieldSize = 2, InitialBytesToStrip = 0 });
        byte[] wire = [0xCA, 0xFE, 0, 2, 9, 8, 0xCA];

        var (frames, leftover) = DecodeChunks(decoder, [wire]);

        frames.Should().ContainSingle().Which.Should().Equal(0xCA, 0xFE, 0, 2, 9, 8);
        leftover.Should().Equal(0xCA);
    }

    [Fact]
    public void TryDecode_HeaderThenLengthAfterPayloadField_AdjustmentSkipsTrailer()
    {
        // A length of the payload, then a 1-byte checksum after it that belongs to the frame: adjustment +1.
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 1, LengthAdjustment = 1 });

        var frames = DecodeChunks(decoder, [[2, 7, 7, 0xEE]]).Frames;

        frames.Should().ContainSingle().Which.Should().Equal(7, 7, 0xEE);
    }

    [Fact]
    public void TryDecode_IncompleteFrame_ExaminedIsEndAndNothingConsumed()
    {
        var decoder = new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt16BigEndian);
        var input = new ReadOnlySequence<byte>(new byte[] { 0, 5, 1, 2 });
        var consumed = input.Start;
        var examined = input.Start;

        decoder.TryDecode(input, ref consumed, ref examined, out _).Should().BeFalse();

        consumed.Should().Be(input.Start);
        examined.Should().Be(input.End);
    }

    [Fact]
    public void TryDecode_LengthAboveMax_ThrowsAsSoonAsHeaderArrives()
    {
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { MaxFrameLength = 100 });

        // Only the header: no payload is buffered before the decision.
        var act = () => DecodeChunks(decoder, [[0, 0, 0, 97]]);

        act.Should().Throw<FrameTooLargeException>().Which.Should().Match<FrameTooLargeException>(e => e.Length == 101 && e.MaxFrameLength == 100);
    }

    [Fact]
    public void TryDecode_DefaultMax_RejectsOneByteOverOneMebibyte()
    {
        var decoder = new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt32BigEndian);

        var act = () => DecodeChunks(decoder, [[0x00, 0x10, 0x00, 0x00]]);

        act.Should().Throw<FrameTooLargeException>().Which.MaxFrameLength.Should().Be(1_048_576);
    }

    [Fact]
    public void TryDecode_NegativeAfterAdjustment_ThrowsInvalidFrame()
    {
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthAdjustment = -4 });

        var act = () => DecodeChunks(decoder, [[0, 0, 0, 3]]);

        act.Should().Throw<InvalidFrameException>().WithMessage("*negative*");
    }

    [Fact]
    public void TryDecode_ValueBeyondIntRange_ThrowsFrameTooLargeNamingTheValue()
    {
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 8 });

        var act = () => DecodeChunks(decoder, [[0x80, 0, 0, 0, 0, 0, 0, 0]]);

        act.Should().Throw<FrameTooLargeException>().WithMessage("*9223372036854775808*1048576*");
    }

    [Fact]
    public void TryDecode_UInt32AboveIntMax_ThrowsFrameTooLargeBeforeAnyPayload()
    {
        var decoder = new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt32BigEndian);

        var act = () => DecodeChunks(decoder, [[0xFF, 0xFF, 0xFF, 0xFF]]);

        act.Should().Throw<FrameTooLargeException>().Which.Length.Should().BeGreaterThan(int.MaxValue);
    }

    [Fact]
    public void TryDecode_FrameShorterThanStrip_ThrowsInvalidFrame()
    {
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 1, InitialBytesToStrip = 4 });

        var act = () => DecodeChunks(decoder, [[1, 0]]);

        act.Should().Throw<InvalidFrameException>().WithMessage("*shorter than the 4 bytes to strip*");
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var options = new LengthFieldCodecOptions();

        options.MaxFrameLength.Should().Be(1_048_576);
        options.LengthFieldSize.Should().Be(4);
        options.LengthFieldOffset.Should().Be(0);
        options.IsLittleEndian.Should().BeFalse();
        options.LengthAdjustment.Should().Be(0);
        options.InitialBytesToStrip.Should().Be(4);
        LengthFieldCodecOptions.UInt16BigEndian.InitialBytesToStrip.Should().Be(2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(16)]
    public void Options_UnsupportedFieldSize_Throws(int size)
    {
        var act = () => new LengthFieldCodecOptions { LengthFieldSize = size };

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Options_NonPositiveMax_Throws()
    {
        FluentActions.Invoking(() => new LengthFieldCodecOptions { MaxFrameLength = 0 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new LengthFieldCodecOptions { LengthFieldOffset = -1 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new LengthFieldCodecOptions { InitialBytesToStrip = -1 }).Should().Throw<ArgumentOutOfRangeException>();
    }

    internal static byte[] Header(int size, bool littleEndian, long value)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            var shift = 8 * (littleEndian ? i : size - 1 - i);
            bytes[i] = (byte)(value >> shift);
        }

        return bytes;
    }
}
