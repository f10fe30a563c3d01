using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Tests.Infrastructure;
using TcpToolkit.Tests.Framing.Infrastructure;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class DelimiterFrameEncoderTests
{
    [Fact]
    public void Encode_Line_PayloadAndDelimiterInOneSpan()
    {
        var writer = new RecordingBufferWriter();

        new DelimiterFrameEncoder(DelimiterCodecOptions.CrLf).Encode(Ascii("hi").AsMemory(), writer);

        writer.GetCalls.Should().Be(1);
        writer.Advances.Should().Equal(4);
        writer.Written.Should().Equal(Ascii("hi\r\n"));
    }

    [Fact]
    public void Encode_SeveralDelimiters_AppendsTheFirst()
    {
        var writer = new ArrayBufferWriter<byte>();
        var options = new DelimiterCodecOptions { Delimiters = [Ascii("\r\n"), Ascii("\n")] };

        new DelimiterFrameEncoder(options).Encode(TestSequence.FromChunks([Ascii("a"), Ascii("b")]), writer);

        writer.WrittenSpan.ToArray().Should().Equal(Ascii("ab\r\n"));
    }

    [Fact]
    public void Encode_PayloadContainsDelimiter_ThrowsArgumentException()
    {
        var act = () => new DelimiterFrameEncoder(DelimiterCodecOptions.LineFeed).Encode(Ascii("a\nb").AsMemory(), new ArrayBufferWriter<byte>());

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Encode_AboveMax_ThrowsFrameTooLarge()
    {
        var act = () => new DelimiterFrameEncoder(new DelimiterCodecOptions { MaxFrameLength = 2 }).Encode(Ascii("abc").AsMemory(), new ArrayBufferWriter<byte>());

        act.Should().Throw<FrameTooLargeException>();
    }
}
