using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Tests.Framing.Infrastructure;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class MarkerFrameEncoderTests
{
    [Fact]
    public void Encode_Payload_MarkersAndPayloadInOneSpan()
    {
        var writer = new RecordingBufferWriter();

        new MarkerFrameEncoder(new MarkerCodecOptions()).Encode(Ascii("ab").AsMemory(), writer);

        writer.GetCalls.Should().Be(1);
        writer.Advances.Should().Equal(4);
        writer.Written.Should().Equal(0x02, (byte)'a', (byte)'b', 0x03);
    }

    [Fact]
    public void Encode_PayloadContainsEndMarker_ThrowsArgumentException()
    {
        var act = () => new MarkerFrameEncoder(new MarkerCodecOptions()).Encode(new byte[] { 1, 3 }.AsMemory(), new ArrayBufferWriter<byte>());

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Encode_AboveMax_ThrowsFrameTooLarge()
    {
        var act = () => new MarkerFrameEncoder(new MarkerCodecOptions { MaxFrameLength = 1 }).Encode(Ascii("ab").AsMemory(), new ArrayBufferWriter<byte>());

        act.Should().Throw<FrameTooLargeException>();
    }
}
