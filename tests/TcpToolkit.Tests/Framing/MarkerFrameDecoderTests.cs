using TcpToolkit.Framing;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class MarkerFrameDecoderTests
{
    private const byte Stx = 0x02;
    private const byte Etx = 0x03;

    [Fact]
    public async Task TryDecode_StxEtx_AnyChunkingSameFrames()
    {
        var wire = Concat([Stx], Ascii("abc"), [Etx, Stx, Etx, Stx], Ascii("d\u0002e"), [Etx]);

        await AssertAllChunkingsAsync(() => new MarkerFrameDecoder(new MarkerCodecOptions()), wire, [Ascii("abc"), [], Ascii("d\u0002e")]);
    }

    [Fact]
    public async Task TryDecode_MultiByteMarkersIncluded_AnyChunkingSameFrames()
    {
        var options = new MarkerCodecOptions { StartMarker = Ascii("<<"), EndMarker = Ascii(">>"), IncludeMarkers = true };

        await AssertAllChunkingsAsync(() => new MarkerFrameDecoder(options), Ascii("<<a>b>><<>>"), [Ascii("<<a>b>>"), Ascii("<<>>")]);
    }

    [Fact]
    public void TryDecode_GarbageBeforeStart_ThrowsInvalidFrame()
    {
        var act = () => DecodeChunks(new MarkerFrameDecoder(new MarkerCodecOptions()), [Concat(Ascii("x"), [Stx, Etx])]);

        act.Should().Throw<InvalidFrameException>().WithMessage("*start marker*");
    }

    [Fact]
    public void TryDecode_PartialStartMarkerThatCannotMatch_ThrowsEarly()
    {
        var options = new MarkerCodecOptions { StartMarker = Ascii("<<") };

        var act = () => DecodeChunks(new MarkerFrameDecoder(options), [Ascii("<x")]);

        act.Should().Throw<InvalidFrameException>();
    }

    [Fact]
    public async Task TryDecode_DiscardPolicy_SkipsGarbageAndResynchronises()
    {
        var options = new MarkerCodecOptions { RecoveryPolicy = FrameRecoveryPolicy.Discard, StartMarker = Ascii("<<"), EndMarker = Ascii(">>") };

        await AssertAllChunkingsAsync(() => new MarkerFrameDecoder(options), Ascii("<<a>>junk<x<<b>>"), [Ascii("a"), Ascii("b")]);
    }

    [Fact]
    public void TryDecode_DiscardPolicy_ReportsGarbageOncePerRun()
    {
        var decoder = new MarkerFrameDecoder(new MarkerCodecOptions { RecoveryPolicy = FrameRecoveryPolicy.Discard });

        var frames = DecodeChunks(decoder, [Ascii("ju"), Ascii("nk"), [Stx, (byte)'a', Etx]]).Frames;

        frames.Should().ContainSingle().Which.Should().Equal(Ascii("a"));
        decoder.DiscardedFrameCount.Should().Be(1);
        decoder.LastDiscardReason.Should().Be(FrameDiscardReason.MissingStartMarker);
    }

    [Fact]
    public void TryDecode_PayloadAboveMax_ThrowsFrameTooLarge()
    {
        var decoder = new MarkerFrameDecoder(new MarkerCodecOptions { MaxFrameLength = 3 });

        var act = () => DecodeChunks(decoder, [[Stx, 1, 1, 1], [1]]);

        act.Should().Throw<FrameTooLargeException>().Which.MaxFrameLength.Should().Be(3);
    }

    [Fact]
    public async Task TryDecode_DiscardPolicy_DropsOversizedFrameAndContinues()
    {
        var options = new MarkerCodecOptions { MaxFrameLength = 3, RecoveryPolicy = FrameRecoveryPolicy.Discard };
        var wire = Concat([Stx], Ascii("toolong"), [Etx, Stx], Ascii("ok"), [Etx]);

        await AssertAllChunkingsAsync(() => new MarkerFrameDecoder(options), wire, [Ascii("ok")]);
    }

    [Fact]
    public void Options_Defaults_AreStxEtx()
    {
        var options = new MarkerCodecOptions();

        options.StartMarker.ToArray().Should().Equal(Stx);
        options.EndMarker.ToArray().Should().Equal(Etx);
        options.MaxFrameLength.Should().Be(1_048_576);
        options.RecoveryPolicy.Should().Be(FrameRecoveryPolicy.Throw);
        FluentActions.Invoking(() => new MarkerCodecOptions { EndMarker = ReadOnlyMemory<byte>.Empty }).Should().Throw<ArgumentException>();
    }
}
