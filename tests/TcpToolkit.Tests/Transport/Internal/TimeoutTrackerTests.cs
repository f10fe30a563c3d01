using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Transport;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Tests.Transport.Internal;

/// <summary>The heartbeat's rules for one connection, fed sequences of transport progress and fake time.</summary>
public sealed class TimeoutTrackerTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Check_NoTimeouts_NeverBreaks()
    {
        var tracker = new TimeoutTracker(null, _time, _time.GetTimestamp());

        _time.Advance(TimeSpan.FromHours(1));

        tracker.Check(default, _time.GetTimestamp()).Broken.Should().BeFalse();
    }

    [Fact]
    public void Check_FirstByte_BreaksWhenNothingArrivedInTime_AndNeverAfterTheFirstByte()
    {
        var timeouts = new ConnectionTimeouts(Idle: null, FirstByte: 2 * Second, MinReceiveRate: null, Write: null);
        var silent = new TimeoutTracker(timeouts, _time, _time.GetTimestamp());
        var talking = new TimeoutTracker(timeouts, _time, _time.GetTimestamp());

        _time.Advance(2 * Second - TimeSpan.FromTicks(1));
        silent.Check(default, _time.GetTimestamp()).Broken.Should().BeFalse("the limit is not reached yet");
        _time.Advance(TimeSpan.FromTicks(1));

        silent.Check(default, _time.GetTimestamp()).Should().Be(new TimeoutVerdict(CloseReason.FirstByteTimeout, 2 * Second, 0));
        talking.Check(Progress(received: 1), _time.GetTimestamp()).Broken.Should().BeFalse();
    }

    [Fact]
    public void Check_Idle_CountsBytesInBothDirections()
    {
        var tracker = new TimeoutTracker(new ConnectionTimeouts(Idle: 5 * Second, null, null, null), _time, _time.GetTimestamp());

        // A half-closed peer that only downloads: received stays, sent grows every 4 s.
        for (var sent = 1; sent <= 5; sent++)
        {
            _time.Advance(4 * Second);
            tracker.Check(Progress(received: 10, sent: sent * 1000), _time.GetTimestamp()).Broken.Should().BeFalse($"bytes went out {sent} times");
        }

        _time.Advance(5 * Second);
        tracker.Check(Progress(received: 10, sent: 5000), _time.GetTimestamp()).Should().Be(new TimeoutVerdict(CloseReason.IdleTimeout, 5 * Second, 0));
    }

    [Fact]
    public void Check_Idle_NeverCutsADrainingCloseOrAPausedReceive()
    {
        var timeouts = new ConnectionTimeouts(Idle: Second, null, null, null);
        var draining = new TimeoutTracker(timeouts, _time, _time.GetTimestamp());
        var paused = new TimeoutTracker(timeouts, _time, _time.GetTimestamp());

        _time.Advance(10 * Second);

        draining.Check(Progress(received: 1) with { Draining = true }, _time.GetTimestamp()).Broken.Should().BeFalse("the close timeout bounds a drain");
        paused.Check(Progress(received: 1) with { ReceivePaused = true }, _time.GetTimestamp()).Broken.Should().BeFalse("backpressure is not idleness");
    }

    [Fact]
    public void Check_MinDataRate_OnlyWhileAMessageIsHalfReceived_AfterTheGracePeriod()
    {
        var rate = new MinDataRate(bytesPerSecond: 100, gracePeriod: 2 * Second);
        var tracker = new TimeoutTracker(new ConnectionTimeouts(null, null, rate, null), _time, _time.GetTimestamp());

        // Between messages a silent connection is not slow.
        _time.Advance(10 * Second);
        tracker.Check(Progress(received: 10), _time.GetTimestamp()).Broken.Should().BeFalse();

        // Half a message arrives; the window opens at the first tick that sees it.
        tracker.Check(Progress(received: 10, awaitingRest: true), _time.GetTimestamp()).Broken.Should().BeFalse();
        _time.Advance(Second);
        tracker.Check(Progress(received: 20, awaitingRest: true), _time.GetTimestamp()).Broken.Should().BeFalse("still in the grace period");
        _time.Advance(Second);

        var verdict = tracker.Check(Progress(received: 30, awaitingRest: true), _time.GetTimestamp());

        verdict.Reason.Should().Be(CloseReason.MinDataRate);
        verdict.BytesPerSecond.Should().BeApproximately(10, 0.001, "20 bytes in 2 s");
    }

    [Fact]
    public void Check_MinDataRate_FastEnoughOrPausedByBackpressure_Holds()
    {
        var rate = new MinDataRate(bytesPerSecond: 100, gracePeriod: Second);
        var fast = new TimeoutTracker(new ConnectionTimeouts(null, null, rate, null), _time, _time.GetTimestamp());
        var paused = new TimeoutTracker(new ConnectionTimeouts(null, null, rate, null), _time, _time.GetTimestamp());
        fast.Check(Progress(received: 1, awaitingRest: true), _time.GetTimestamp());
        paused.Check(Progress(received: 1, awaitingRest: true), _time.GetTimestamp());

        _time.Advance(2 * Second);

        fast.Check(Progress(received: 1 + 200, awaitingRest: true), _time.GetTimestamp()).Broken.Should().BeFalse("100 B/s is the minimum");
        paused.Check(Progress(received: 1, awaitingRest: true) with { ReceivePaused = true }, _time.GetTimestamp()).Broken
            .Should().BeFalse("a slow handler is not the peer's fault");
    }

    [Fact]
    public void Check_MinDataRate_ANewMessageOpensANewWindow()
    {
        var rate = new MinDataRate(bytesPerSecond: 100, gracePeriod: Second);
        var tracker = new TimeoutTracker(new ConnectionTimeouts(null, null, rate, null), _time, _time.GetTimestamp());
        tracker.Check(Progress(received: 0, awaitingRest: true), _time.GetTimestamp());
        _time.Advance(TimeSpan.FromMilliseconds(500));

        // The message completed (not awaiting), then the next one started 10 s later: its window starts then.
        tracker.Check(Progress(received: 500), _time.GetTimestamp());
        _time.Advance(10 * Second);
        tracker.Check(Progress(received: 500, awaitingRest: true), _time.GetTimestamp()).Broken.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(900));

        tracker.Check(Progress(received: 500, awaitingRest: true), _time.GetTimestamp()).Broken.Should().BeFalse("the new window is still in its grace period");
    }

    [Fact]
    public void Check_Write_BreaksOnlyWhenAPendingSendMakesNoProgressForTheWholeLimit()
    {
        var tracker = new TimeoutTracker(new ConnectionTimeouts(null, null, null, Write: 3 * Second), _time, _time.GetTimestamp());

        // Sends pending but completing: never stalled.
        for (var completed = 1; completed <= 5; completed++)
        {
            _time.Advance(2 * Second);
            tracker.Check(Progress(sendPending: true, sendsCompleted: completed), _time.GetTimestamp()).Broken.Should().BeFalse();
        }

        // Now stuck at 5 completed sends: the first tick notices the stall, the limit counts from there.
        _time.Advance(Second);
        tracker.Check(Progress(sendPending: true, sendsCompleted: 5), _time.GetTimestamp()).Broken.Should().BeFalse("the stall starts now");
        _time.Advance(3 * Second - TimeSpan.FromTicks(1));
        tracker.Check(Progress(sendPending: true, sendsCompleted: 5), _time.GetTimestamp()).Broken.Should().BeFalse();
        _time.Advance(TimeSpan.FromTicks(1));

        tracker.Check(Progress(sendPending: true, sendsCompleted: 5), _time.GetTimestamp())
            .Should().Be(new TimeoutVerdict(CloseReason.WriteTimeout, 3 * Second, 0));
    }

    [Fact]
    public void Check_Write_NothingPending_ResetsTheStall()
    {
        var tracker = new TimeoutTracker(new ConnectionTimeouts(null, null, null, Write: Second), _time, _time.GetTimestamp());
        tracker.Check(Progress(sendPending: true, sendsCompleted: 1), _time.GetTimestamp());
        tracker.Check(Progress(sendPending: true, sendsCompleted: 1), _time.GetTimestamp());
        _time.Advance(TimeSpan.FromMilliseconds(900));

        tracker.Check(Progress(sendPending: false, sendsCompleted: 2), _time.GetTimestamp());
        _time.Advance(10 * Second);

        tracker.Check(Progress(sendPending: false, sendsCompleted: 2), _time.GetTimestamp()).Broken.Should().BeFalse("nothing waits to be sent");
    }

    [Fact]
    public void Check_SeveralRulesBroken_FirstByteComesFirst()
    {
        var timeouts = new ConnectionTimeouts(Idle: Second, FirstByte: Second, MinReceiveRate: null, Write: Second);
        var tracker = new TimeoutTracker(timeouts, _time, _time.GetTimestamp());

        _time.Advance(5 * Second);

        tracker.Check(default, _time.GetTimestamp()).Reason.Should().Be(CloseReason.FirstByteTimeout);
    }

    private static TransportProgress Progress(
        long received = 0,
        long sent = 0,
        bool awaitingRest = false,
        bool sendPending = false,
        long sendsCompleted = 0) =>
        new(received, sent, ReceivePaused: false, AwaitingRestOfMessage: awaitingRest, SendPending: sendPending, SendsCompleted: sendsCompleted, Draining: false);
}
