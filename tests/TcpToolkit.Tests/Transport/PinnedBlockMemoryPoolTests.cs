using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Tests.Transport;

public sealed class PinnedBlockMemoryPoolTests
{
    [Fact]
    public void Dispose_BlockDisposedTwice_IsReturnedOnce()
    {
        using var pool = new PinnedBlockMemoryPool(new FakeTimeProvider());
        var block = pool.Rent();

        block.Dispose();
        block.Dispose();

        pool.FreeBlockCount.Should().Be(1, "a second dispose must not queue the block again");
        using var first = pool.Rent();
        using var second = pool.Rent();
        first.Memory.Equals(second.Memory).Should().BeFalse("two renters must never share a block");
    }

    [Fact]
    public void Dispose_BlockRentedAgain_IsReturnedAgain()
    {
        using var pool = new PinnedBlockMemoryPool(new FakeTimeProvider());
        var block = pool.Rent();
        block.Dispose();

        var again = pool.Rent();
        again.Should().BeSameAs(block, "the free block is reused");
        again.Dispose();

        pool.FreeBlockCount.Should().Be(1, "each rent gives one return");
        pool.BytesInUse.Should().Be(0);
    }
}
