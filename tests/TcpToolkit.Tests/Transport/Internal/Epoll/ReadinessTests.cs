// These tests inspect the reusable awaitable's state on purpose (IsCompleted before and after a signal).
#pragma warning disable CA2012
using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.Tests.Transport.Internal.Epoll;

/// <summary>The edge-triggered readiness of one socket direction: no lost edge, one waiter, close for good.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public void WaitAsync_NoEventSinceObserve_IsPending()
    {
        var readiness = new Readiness();
        readiness.Observe();

        readiness.IsReady.Should().BeFalse();
        readiness.WaitAsync().IsCompleted.Should().BeFalse();
    }

    [Fact]
    public void WaitAsync_EventBetweenObserveAndWait_CompletesAtOnce()
    {
        // The race an edge-triggered engine must not lose: the edge fires after the system call said EAGAIN, before the wait.
        var readiness = new Readiness();
        readiness.Observe();
        readiness.Signal();

        readiness.IsReady.Should().BeTrue();
        readiness.WaitAsync().IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public void Signal_WithAWaiter_ResumesItOnTheSignallingThread()
    {
        var readiness = new Readiness();
        readiness.Observe();
        var wait = readiness.WaitAsync();
        int? resumedOn = null;
        wait.GetAwaiter().OnCompleted(() => resumedOn = Environment.CurrentManagedThreadId);

        readiness.Signal();

        resumedOn.Should().Be(Environment.CurrentManagedThreadId, "the loop runs the waiting pump inline");
        wait.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public void Signal_WithoutAWaiter_IsRememberedUntilTheNextObserve()
    {
        var readiness = new Readiness();
        readiness.Observe();
        readiness.Signal();
        readiness.Signal();

        readiness.WaitAsync().IsCompleted.Should().BeTrue();
        readiness.Observe();
        readiness.WaitAsync().IsCompleted.Should().BeFalse("Observe took the events seen so far");
    }

    [Fact]
    public void Close_EndsTheWaitAndEveryLaterWait()
    {
        var readiness = new Readiness();
        readiness.Observe();
        var wait = readiness.WaitAsync();

        readiness.Close();

        wait.IsCompletedSuccessfully.Should().BeTrue();
        readiness.Observe();
        readiness.WaitAsync().IsCompleted.Should().BeTrue("a closed direction is ready for good");
        readiness.IsReady.Should().BeTrue();
    }

    [Fact]
    public async Task WaitAsync_Reused_ManyTimesWithoutAllocatingANewAwaitable()
    {
        var readiness = new Readiness();
        for (var i = 0; i < 1000; i++)
        {
            readiness.Observe();
            var wait = readiness.WaitAsync();
            var signaller = Task.Run(readiness.Signal, TestContext.Current.CancellationToken);
            (await wait).Should().Be(0);
            await signaller;
        }
    }
}
