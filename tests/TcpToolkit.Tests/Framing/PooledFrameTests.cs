using TcpToolkit.Framing;
using TcpToolkit.Tests.Infrastructure;


namespace TcpToolkit.Tests.Framing;

public sealed class PooledFrameTests
{
    [Fact]
    public void CopyOf_MultiSegmentFrame_OwnsItsBytes()
    {
        var source = new byte[] { 1, 2, 3 };
        using var frame = PooledFrame.CopyOf(TestSequence.FromChunks([source[..1], source[1..]]));

        source[0] = 9;

        frame.Length.Should().Be(3);
        frame.Memory.ToArray().Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Dispose_Twice_IsHarmlessAndMemoryThrowsAfter()
    {
        var frame = PooledFrame.CopyOf(new System.Buffers.ReadOnlySequence<byte>([1]));

        frame.Dispose();
        frame.Dispose();

        FluentActions.Invoking(() => frame.Memory).Should().Throw<ObjectDisposedException>();
    }
}
