using TcpToolkit.Framing;

namespace TcpToolkit.Tests.Framing;

public sealed class FramingExceptionTests
{
    [Fact]
    public void FrameTooLarge_Message_NamesLengthAndLimit()
    {
        var ex = new FrameTooLargeException(2_000_000, 1_048_576);

        ex.Message.Should().Contain("2000000").And.Contain("1048576");
        ex.Should().BeAssignableTo<FramingException>();
    }

    [Fact]
    public void Truncated_Message_NamesBufferedBytes()
    {
        new TruncatedFrameException(7).Message.Should().Contain("7 bytes");
    }
}
