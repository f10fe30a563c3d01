using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Messaging;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>Disposing a client leaves nothing behind: no timers, no unobserved task exceptions, every waiter released; over both transports.</summary>
public sealed class MessageClientDisposeTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task DisposeAsync_AfterTimeoutsCancellationsLossAndReconnect_NoTimerLeftAndNoUnobservedException(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) =>
        {
            // Other tests run in parallel: count only this library's exceptions.
            var ours = e.Exception.Flatten().InnerExceptions.Where(ex => ex.GetType().Namespace == typeof(MessageClient).Namespace || ex is ConnectionLostException or RemoteErrorException or TimeoutException);
            lock (unobserved)
            {
                unobserved.AddRange(ours);
            }
        };
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            var fake = new FakeTimeProvider();
            var time = new CountingTimeProvider(fake);
            await RunClientThroughEverythingAsync(transport, fake, time, ct);

            time.TotalTimers.Should().BePositive("the scenario used request timeouts, backoff and heartbeat timers");
            time.ActiveTimers.Should().Be(0, "every timer the client created was disposed");
            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            lock (unobserved)
            {
                unobserved.Should().BeEmpty();
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task DisposeAsync_RequestsWaitingForAConnection_FailWithConnectionLostException(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask);
        await harness.StopAsync();
        var fake = new FakeTimeProvider();
        var client = harness.CreateClient(new MessageClientOptions { Transport = { TimeProvider = fake }, RequestTimeout = null, HeartbeatInterval = null });
        var states = new StateRecorder(client);
        var start = client.StartAsync(ct);
        var waiting = client.SendRequestAsync("", "x"u8.ToArray(), ct).AsTask();

        await client.DisposeAsync();

        await start.Invoking(s => s.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
        await waiting.Invoking(w => w.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
        states.All.Should().Equal(MessageClientState.Closed);
        await client.Invoking(c => c.SendRequestAsync("", "y"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<ObjectDisposedException>();
        await client.DisposeAsync();
    }

    private static async Task RunClientThroughEverythingAsync(TestTransport transport, FakeTimeProvider fake, CountingTimeProvider time, CancellationToken ct)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, cancellationToken) =>
            {
                if (request.Payload.Span.SequenceEqual("hold"u8))
                {
                    holding.TrySetResult();
                    await release.Task.WaitAsync(cancellationToken);
                }

                if (request.Payload.Span.SequenceEqual("hang"u8))
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
                }

                if (request.Payload.Span.SequenceEqual("fail"u8))
                {
                    throw new InvalidOperationException("fail");
                }

                request.Reply.Write(request.Payload.Span);
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = 4 });
        var client = harness.CreateClient(new MessageClientOptions
        {
            RequestTimeout = TimeSpan.FromSeconds(5),
            HeartbeatInterval = TimeSpan.FromSeconds(30),
            JitterSource = () => 1.0,
            Transport = { TimeProvider = time },
        });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);

        // A request that times out, one that is cancelled, one the handler fails, one that succeeds.
        var timedOut = client.SendRequestAsync("", "hold"u8.ToArray(), ct).AsTask();
        await holding.Task.WaitAsync(ct);
        fake.Advance(TimeSpan.FromSeconds(5));
        await timedOut.Invoking(t => t.WaitAsync(ct)).Should().ThrowAsync<TimeoutException>();
        using (var cancel = new CancellationTokenSource())
        {
            var cancelled = client.SendRequestAsync("", "hold"u8.ToArray(), new RequestOptions { Timeout = TimeSpan.FromSeconds(60) }, cancel.Token).AsTask();
            await cancel.CancelAsync();
            await cancelled.Invoking(t => t.WaitAsync(ct)).Should().ThrowAsync<OperationCanceledException>();
        }

        await client.Invoking(c => c.SendRequestAsync("", "fail"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<RemoteErrorException>();
        (await client.SendRequestAsync("", "ok"u8.ToArray(), ct)).Dispose();

        // Lose the connection with a request pending, then come back.
        var lost = client.SendRequestAsync("", "hang"u8.ToArray(), new RequestOptions { Timeout = TimeSpan.FromSeconds(60) }, ct).AsTask();
        var serverSide = await harness.NextConnectionAsync(ct);
        serverSide.Abort("test");
        await lost.Invoking(t => t.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
        await states.WaitForAsync(MessageClientState.Reconnecting, ct);
        while (await time.NextTimerAsync(ct) != TimeSpan.FromMilliseconds(100))
        {
            // Skip the request, heartbeat and close timers created earlier; the backoff delay is the 100 ms one.
        }

        fake.Advance(TimeSpan.FromMilliseconds(100));
        await states.WaitForAsync(MessageClientState.Connected, ct);
        (await client.SendRequestAsync("", "ok"u8.ToArray(), ct)).Dispose();

        await client.DisposeAsync();
        release.TrySetResult();
        await harness.DisposeAsync();
        states.All.Should().EndWith(MessageClientState.Closed);
    }
}
