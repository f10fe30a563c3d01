using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Tests.Framing.Infrastructure;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class FixedSizeFrameEncoderTests
{
    private static readonly FixedSizeCodecOptions Options = new() { FrameLength = 3 };

    [Fact]
    public void Encode_ExactLength_OneSpan()
    {
        var writer = new RecordingBufferWriter();

        new FixedSizeFrameEncoder(Options).Encode(Ascii("abc").AsMemory(), writer);

        writer.Advances.Should().Equal(3);
        writer.Written.Should().Equal(Ascii("abc"));
    }

    [Fact]
    public void Encode_Longer_ThrowsFrameTooLarge()
    {
        var act = () => new FixedSizeFrameEncoder(Options).Encode(Ascii("abcd").AsMemory(), new ArrayBufferWriter<byte>());

        act.Should().Throw<FrameTooLargeException>();
    }

    [Fact]
    public void Encode_Shorter_ThrowsArgumentException()
    {
        var act = () => new FixedSizeFrameEncoder(Options).Encode(Ascii("ab").AsMemory(), new ArrayBufferWriter<byte>());

        act.Should().Throw<ArgumentException>();
    }
}
