using TcpToolkit.Sessions;
using TcpToolkit.Sessions.Internal;

namespace TcpToolkit.Tests.Sessions;

/// <summary>
/// The per-member send queue: bounded by count and bytes, each full-queue policy does what its documentation says,
/// every frame taken is given back to the pool exactly once, and a full episode is reported once.
/// </summary>
public sealed class FrameQueueTests
{
    private readonly SharedFramePool _pool = new();

    [Fact]
    public void Enqueue_DropOldest_FullQueueKeepsTheNewestFrames()
    {
        var queue = new FrameQueue(limit: 3, byteLimit: null, SendQueueFullPolicy.DropOldest);

        for (byte i = 1; i <= 5; i++)
        {
            Offer(queue, i).Should().Be(EnqueueOutcome.Queued);
        }

        Drain(queue).Should().Equal(3, 4, 5);
        queue.Dropped.Should().Be(2);
        _pool.LiveFrames.Should().Be(0, "dropped and written frames went back to the pool");
    }

    [Fact]
    public void Enqueue_DropNewest_FullQueueKeepsTheOldestFrames()
    {
        var queue = new FrameQueue(limit: 3, byteLimit: null, SendQueueFullPolicy.DropNewest);

        var outcomes = Enumerable.Range(1, 5).Select(i => Offer(queue, (byte)i)).ToList();

        outcomes.Should().Equal(EnqueueOutcome.Queued, EnqueueOutcome.Queued, EnqueueOutcome.Queued, EnqueueOutcome.DroppedNewest, EnqueueOutcome.DroppedNewest);
        Drain(queue).Should().Equal(1, 2, 3);
        queue.Dropped.Should().Be(2);
        _pool.LiveFrames.Should().Be(0);
    }

    [Fact]
    public void Enqueue_Disconnect_FullQueueClosesAndReleasesEverything()
    {
        var queue = new FrameQueue(limit: 2, byteLimit: null, SendQueueFullPolicy.Disconnect);
        Offer(queue, 1);
        Offer(queue, 2);

        Offer(queue, 3).Should().Be(EnqueueOutcome.Overflowed);

        queue.IsClosed.Should().BeTrue();
        queue.Count.Should().Be(0);
        queue.Dropped.Should().Be(3, "the two queued frames and the new one are never delivered");
        Offer(queue, 4).Should().Be(EnqueueOutcome.Closed);
        _pool.LiveFrames.Should().Be(0);
    }

    [Fact]
    public void Enqueue_ByteLimit_BoundsTheQueueBelowTheCount()
    {
        var queue = new FrameQueue(limit: 100, byteLimit: 250, SendQueueFullPolicy.DropOldest);

        for (byte i = 1; i <= 10; i++)
        {
            Offer(queue, i, length: 100);
        }

        queue.Count.Should().Be(2);
        queue.MaxBytes.Should().BeLessThanOrEqualTo(250);
        Drain(queue).Should().Equal(9, 10);
    }

    [Fact]
    public void Enqueue_FrameLargerThanTheByteLimit_IsTakenIntoAnEmptyQueue()
    {
        var queue = new FrameQueue(limit: 10, byteLimit: 100, SendQueueFullPolicy.DropNewest);

        Offer(queue, 1, length: 500).Should().Be(EnqueueOutcome.Queued);
        Offer(queue, 2, length: 10).Should().Be(EnqueueOutcome.DroppedNewest);
    }

    [Fact]
    public void Enqueue_FullEpisode_IsReportedOnceUntilTheQueueEmpties()
    {
        var queue = new FrameQueue(limit: 1, byteLimit: null, SendQueueFullPolicy.DropNewest);
        Offer(queue, 1);

        var starts = Enumerable.Range(0, 5).Select(_ => OfferEpisode(queue)).ToList();
        queue.TryEndEpisode(out _).Should().BeFalse("the queue is not empty yet");
        Drain(queue);
        queue.TryEndEpisode(out var dropped).Should().BeTrue();
        Offer(queue, 2);
        var next = OfferEpisode(queue);

        starts.Should().Equal(true, false, false, false, false);
        dropped.Should().Be(5);
        next.Should().BeTrue("a new episode begins after the queue emptied");
    }

    [Fact]
    public async Task WaitAsync_EmptyQueue_CompletesWhenAFrameIsQueued()
    {
        var queue = new FrameQueue(limit: 4, byteLimit: null, SendQueueFullPolicy.DropOldest);

        var waiting = queue.WaitAsync().AsTask();
        waiting.IsCompleted.Should().BeFalse();
        Offer(queue, 7);

        await waiting.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        Drain(queue).Should().Equal(7);
    }

    [Fact]
    public async Task WaitAsync_Complete_WakesTheWaiterAndTheQueueDrains()
    {
        var queue = new FrameQueue(limit: 4, byteLimit: null, SendQueueFullPolicy.DropOldest);
        var waiting = queue.WaitAsync().AsTask();

        queue.Complete();

        await waiting.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        queue.IsDrained.Should().BeTrue();
        Offer(queue, 1).Should().Be(EnqueueOutcome.Closed);
    }

    private EnqueueOutcome Offer(FrameQueue queue, byte marker, int length = 1)
    {
        var frame = _pool.Rent();
        var span = frame.GetSpan(length);
        span[..length].Fill(marker);
        frame.Advance(length);
        var outcome = queue.Enqueue(frame, out _, out _);
        frame.Release();
        return outcome;
    }

    private bool OfferEpisode(FrameQueue queue)
    {
        var frame = _pool.Rent();
        frame.GetSpan(1)[0] = 0;
        frame.Advance(1);
        queue.Enqueue(frame, out _, out var started);
        frame.Release();
        return started;
    }

    private static List<byte> Drain(FrameQueue queue)
    {
        var markers = new List<byte>();
        while (queue.TryDequeue() is { } frame)
        {
            markers.Add(frame.Memory.Span[0]);
            frame.Release();
        }

        return markers;
    }
}
