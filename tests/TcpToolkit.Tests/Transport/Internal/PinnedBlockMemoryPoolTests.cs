using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Tests.Transport.Internal;

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

    [Fact]
    public void Evict_BlocksUnusedForAWholeInterval_AreReleased()
    {
        var time = new FakeTimeProvider();
        using var pool = new PinnedBlockMemoryPool(time);
        var burst = Enumerable.Range(0, 8).Select(_ => pool.Rent()).ToList();
        burst.ForEach(block => block.Dispose());
        pool.FreeBlockCount.Should().Be(8);

        // The first interval saw the burst (the low watermark was 0 when blocks were allocated): nothing is idle yet.
        time.Advance(PinnedBlockMemoryPool.EvictionInterval);
        pool.FreeBlockCount.Should().Be(8, "the blocks were in use during this interval");

        // A whole interval with no rent at all: every free block was unused and goes.
        time.Advance(PinnedBlockMemoryPool.EvictionInterval);
        pool.FreeBlockCount.Should().Be(0);
        pool.BytesInUse.Should().Be(0);
    }

    [Fact]
    public void Evict_KeepsAsManyFreeBlocksAsTheIntervalNeeded()
    {
        var time = new FakeTimeProvider();
        using var pool = new PinnedBlockMemoryPool(time);
        Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList().ForEach(block => block.Dispose());
        time.Advance(PinnedBlockMemoryPool.EvictionInterval);

        // During the next interval at most 3 blocks are out at once: the free count never drops below 7.
        for (var round = 0; round < 5; round++)
        {
            var steady = Enumerable.Range(0, 3).Select(_ => pool.Rent()).ToList();
            steady.ForEach(block => block.Dispose());
        }

        time.Advance(PinnedBlockMemoryPool.EvictionInterval);

        pool.FreeBlockCount.Should().Be(3, "the 7 blocks never rented during the interval are released, the 3 in use are kept");
    }

    [Fact]
    public void Evict_BlocksRentedOut_AreNeverReleasedAndComeBackAfterwards()
    {
        var time = new FakeTimeProvider();
        using var pool = new PinnedBlockMemoryPool(time);
        var held = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToList();

        time.Advance(PinnedBlockMemoryPool.EvictionInterval * 3);
        pool.BytesInUse.Should().Be(4L * PinnedBlockMemoryPool.DefaultBlockSize, "eviction only drops free blocks");

        held.ForEach(block => block.Dispose());
        pool.FreeBlockCount.Should().Be(4);
        pool.BytesInUse.Should().Be(0);
    }

    [Fact]
    public void Rent_AfterDispose_StillHandsOutABlockAndDropsItOnReturn()
    {
        var pool = new PinnedBlockMemoryPool(new FakeTimeProvider());
        pool.Dispose();

        var block = pool.Rent();
        block.Memory.Length.Should().Be(PinnedBlockMemoryPool.DefaultBlockSize);
        block.Dispose();

        pool.FreeBlockCount.Should().Be(0, "a disposed pool keeps nothing");
    }

    [Fact]
    public void Rent_MoreThanABlock_Throws()
    {
        using var pool = new PinnedBlockMemoryPool(new FakeTimeProvider(), blockSize: 4096);

        var rent = () => pool.Rent(4097);

        rent.Should().Throw<ArgumentOutOfRangeException>();
    }
}
