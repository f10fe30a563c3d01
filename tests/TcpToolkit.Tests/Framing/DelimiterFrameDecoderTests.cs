using System.Buffers;
using TcpToolkit.Framing;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class DelimiterFrameDecoderTests
{
    private static readonly DelimiterCodecOptions LinesEitherEnding = new() { Delimiters = [Ascii("\r\n"), Ascii("\n")] };

    [Fact]
    public async Task TryDecode_LineFeed_AnyChunkingSameFrames()
    {
        await AssertAllChunkingsAsync(
            () => new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed),
            Ascii("hello\n\nworld\nx\n"),
            [Ascii("hello"), [], Ascii("world"), Ascii("x")]);
    }

    [Fact]
    public async Task TryDecode_CrLf_AnyChunkingSameFrames()
    {
        await AssertAllChunkingsAsync(
            () => new DelimiterFrameDecoder(DelimiterCodecOptions.CrLf),
            Ascii("a\rb\r\n\r\ncd\r\n"),
            [Ascii("a\rb"), [], Ascii("cd")]);
    }

    [Fact]
    public async Task TryDecode_SeveralDelimiters_EarliestWinsAndCrLfBeatsLf()
    {
        await AssertAllChunkingsAsync(
            () => new DelimiterFrameDecoder(LinesEitherEnding),
            Ascii("one\r\ntwo\nthree\r\n"),
            [Ascii("one"), Ascii("two"), Ascii("three")]);
    }

    [Fact]
    public async Task TryDecode_MultiByteDelimiter_AnyChunkingSameFrames()
    {
        var options = new DelimiterCodecOptions { Delimiters = [Ascii("<EOM>")] };

        await AssertAllChunkingsAsync(() => new DelimiterFrameDecoder(options), Ascii("a<EO<EOM>b<EOM>"), [Ascii("a<EO"), Ascii("b")]);
    }

    [Fact]
    public async Task TryDecode_IncludeDelimiter_FrameEndsWithIt()
    {
        var options = new DelimiterCodecOptions { IncludeDelimiter = true, Delimiters = [Ascii("\r\n"), Ascii("\n")] };

        await AssertAllChunkingsAsync(() => new DelimiterFrameDecoder(options), Ascii("a\r\nb\n"), [Ascii("a\r\n"), Ascii("b\n")]);
    }

    [Fact]
    public void TryDecode_IncompleteLine_ExaminedIsEnd()
    {
        var decoder = new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed);
        var input = new ReadOnlySequence<byte>(Ascii("partial"));
        var consumed = input.Start;
        var examined = input.Start;

        decoder.TryDecode(input, ref consumed, ref examined, out _).Should().BeFalse();

        consumed.Should().Be(input.Start);
        examined.Should().Be(input.End);
    }

    [Fact]
    public void TryDecode_FrameOfExactlyMax_IsAccepted()
    {
        var decoder = new DelimiterFrameDecoder(new DelimiterCodecOptions { MaxFrameLength = 4 });

        DecodeChunks(decoder, [Ascii("abcd\n")]).Frames.Should().ContainSingle().Which.Should().Equal(Ascii("abcd"));
    }

    [Fact]
    public void TryDecode_NoDelimiterWithinMax_ThrowsOnceMaxPlusDelimiterBuffered()
    {
        var decoder = new DelimiterFrameDecoder(new DelimiterCodecOptions { MaxFrameLength = 4, Delimiters = [Ascii("\r\n")] });

        // 5 bytes could still be "abcd\r" + "\n"; the 6th byte proves the frame is longer than 4.
        DecodeChunks(decoder, [Ascii("abcd\r")]).Leftover.Should().HaveCount(5);
        var act = () => DecodeChunks(new DelimiterFrameDecoder(new DelimiterCodecOptions { MaxFrameLength = 4, Delimiters = [Ascii("\r\n")] }), [Ascii("abcde"), Ascii("f")]);

        act.Should().Throw<FrameTooLargeException>().Which.MaxFrameLength.Should().Be(4);
    }

    [Fact]
    public void TryDecode_OversizedFrameWithDelimiterBuffered_ThrowsFrameTooLarge()
    {
        var decoder = new DelimiterFrameDecoder(new DelimiterCodecOptions { MaxFrameLength = 3 });

        var act = () => DecodeChunks(decoder, [Ascii("abcd\nok\n")]);

        act.Should().Throw<FrameTooLargeException>().Which.Length.Should().Be(4);
    }

    [Fact]
    public async Task TryDecode_DiscardPolicy_DropsOversizedFramesAndContinues()
    {
        var options = new DelimiterCodecOptions { MaxFrameLength = 3, RecoveryPolicy = FrameRecoveryPolicy.Discard, Delimiters = [Ascii("\r\n")] };

        // The long frame's delimiter arrives after the decoder started discarding; the CR and LF may be split.
        await AssertAllChunkingsAsync(() => new DelimiterFrameDecoder(options), Ascii("ok\r\nwaytoolong\r\nabc\r\n"), [Ascii("ok"), Ascii("abc")]);
    }

    [Fact]
    public void TryDecode_DiscardPolicy_CountsAndNeverBuffersTheWholeLongFrame()
    {
        var decoder = new DelimiterFrameDecoder(new DelimiterCodecOptions { MaxFrameLength = 8, RecoveryPolicy = FrameRecoveryPolicy.Discard });
        var chunks = Enumerable.Repeat(Ascii("xxxxxxxx"), 100).Append(Ascii("x\nnext\n")).ToArray();

        var pending = Array.Empty<byte>();
        var frames = new List<byte[]>();
        foreach (var chunk in chunks)
        {
            var (decoded, leftover) = DecodeChunks(decoder, [pending, chunk]);
            frames.AddRange(decoded);
            pending = leftover;
            pending.Length.Should().BeLessThanOrEqualTo(9, "a discarding decoder consumes what it drops");
        }

        frames.Should().ContainSingle().Which.Should().Equal(Ascii("next"));
        decoder.DiscardedFrameCount.Should().Be(1);
        decoder.LastDiscardReason.Should().Be(FrameDiscardReason.FrameTooLarge);
        decoder.LastDiscardedByteCount.Should().BeGreaterThan(8);
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var options = new DelimiterCodecOptions();

        options.MaxFrameLength.Should().Be(1_048_576);
        options.Delimiters.Should().ContainSingle().Which.ToArray().Should().Equal((byte)'\n');
        options.IncludeDelimiter.Should().BeFalse();
        options.RecoveryPolicy.Should().Be(FrameRecoveryPolicy.Throw);
    }

    [Fact]
    public void Options_InvalidValues_Throw()
    {
        FluentActions.Invoking(() => new DelimiterCodecOptions { Delimiters = [] }).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new DelimiterCodecOptions { Delimiters = [ReadOnlyMemory<byte>.Empty] }).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new DelimiterCodecOptions { MaxFrameLength = -1 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new DelimiterCodecOptions { RecoveryPolicy = (FrameRecoveryPolicy)7 }).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Options_CallerMutatesArrayLater_OptionsUnchanged()
    {
        var delimiter = Ascii(";");
        var options = new DelimiterCodecOptions { Delimiters = [delimiter] };

        delimiter[0] = (byte)'!';

        options.Delimiters[0].ToArray().Should().Equal((byte)';');
    }
}
