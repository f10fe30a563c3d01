using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>
/// Issue #13's "correct under failure" on both transports: no reconnect storm, nothing of a dead connection runs, a
/// graceful stop answers every request exactly once, deadlines and cancels reach handlers, hello mismatches are typed.
/// </summary>
public sealed class MessagingFailureTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task StartAsync_ServerAcceptsAndClosesAtOnce_AtMostTwelveConnectsInFiveSecondsWithDefaults(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var connects = 0;
        await using var full = await TestHost.StartAsync(transport, (connection, _) =>
        {
            // A full server: every connection is accepted and closed at once, before any hello.
            Interlocked.Increment(ref connects);
            return Task.CompletedTask;
        });
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        var options = new MessageClientOptions { ConnectionFactory = full.ClientFactory, Transport = { TimeProvider = time } };
        await using var client = new MessageClient(full.EndPoint, options);
        var states = new StateRecorder(client);

        var start = client.StartAsync(ct);
        var elapsed = TimeSpan.Zero;
        while (true)
        {
            // Each backoff delay is a timer of the client's clock; advancing by it starts the next attempt.
            var due = await time.NextClientTimerAsync(options, ct);
            if (elapsed + due > TimeSpan.FromSeconds(5))
            {
                break;
            }

            elapsed += due;
            fake.Advance(due);
        }

        Volatile.Read(ref connects).Should().BeInRange(2, 12).And.BeLessThanOrEqualTo(7, "equal jitter doubles the delay whatever it draws");
        states.All.Should().BeEmpty("a connection that never completed the hello is not Connected: no flapping");
        start.IsCompleted.Should().BeFalse("the client keeps trying (no MaxReconnectAttempts by default)");
        await client.DisposeAsync();
        await start.Invoking(s => s.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
    }

    [Fact]
    public async Task StartAsync_TcpServerAtMaxConnections_BackoffGrowsAndStateNeverFlaps()
    {
        var ct = TestServers.Timeout();
        var rejected = 0;
        await using var server = await TestServers.StartAsync(
            new MessageServer((_, _) => ValueTask.CompletedTask).HandleConnectionAsync,
            options => options.MaxConnections = 1);
        await using var holder = new MessageClient(server.LocalEndPoint);
        await holder.StartAsync(ct); // takes the only slot
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        var options = new MessageClientOptions { Transport = { TimeProvider = time } };
        await using var client = new MessageClient(server.LocalEndPoint, options);
        var states = new StateRecorder(client);

        var start = client.StartAsync(ct);
        var delays = new List<TimeSpan>();
        var elapsed = TimeSpan.Zero;
        while (elapsed < TimeSpan.FromSeconds(5))
        {
            var due = await time.NextClientTimerAsync(options, ct);
            delays.Add(due);
            elapsed += due;
            fake.Advance(due);
            rejected++;
        }

        delays.Should().HaveCountLessThanOrEqualTo(12);
        delays.Should().BeInAscendingOrder("the backoff is not reset by a TCP connect the server closes at once");
        states.All.Should().BeEmpty();
        rejected.Should().BeGreaterThan(1);
        await client.DisposeAsync();
        await start.Invoking(s => s.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_ConnectionDiesWithARequestQueuedBehindASlowOne_QueuedOneNeverRuns(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var executed = new ConcurrentQueue<string>();
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseSlow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sessionEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, _) =>
            {
                executed.Enqueue(request.Method);
                if (request.Method == "slow")
                {
                    slowStarted.SetResult();
                    await releaseSlow.Task; // ignores its token on purpose: the slow one finishes after the loss
                }
            },
            new MessageServerOptions { SessionEnded = _ => { sessionEnded.TrySetResult(); return ValueTask.CompletedTask; } });
        await using var connection = await harness.ConnectAsync(ct);
        var serverSide = await harness.NextConnectionAsync(ct);
        var serverSawTheClose = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serverSide.ConnectionClosed.Register(serverSawTheClose.SetResult);
        await RawPeer.ConnectHelloAsync(connection, ct);

        await connection.SendAsync(RawPeer.Request(1, "slow", [1]), ct);
        await slowStarted.Task.WaitAsync(ct);
        await connection.SendAsync(RawPeer.Request(2, "queued", [2]), ct);
        await connection.SendAsync(RawPeer.Simple(FrameKind.Ping, 77), ct);
        (await RawPeer.ReadUntilAsync(connection, FrameKind.Pong, ct)).Id.Should().Be(77UL, "the server read the queued request before the ping");
        connection.Abort("test: the client dies");
        await serverSawTheClose.Task.WaitAsync(ct);
        releaseSlow.SetResult(); // the slow one finishes after the loss: the worker is free, the queued one must stay unrun

        await sessionEnded.Task.WaitAsync(ct);
        executed.Should().Equal(["slow"], "a request of a dead connection that had not started is dropped, never run");
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task StopAsync_GoingAwayWithRequestsRunningQueuedAndInTransit_EachCompletedOrNotExecutedNeverBoth(TestTransport transport)
    {
        const int Requests = 100;
        var ct = TestServers.Timeout();
        var executed = new ConcurrentDictionary<int, bool>();
        var running = 0;
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, _) =>
            {
                var n = BinaryPrimitives.ReadInt32BigEndian(request.Payload.Span);
                executed[n] = true;
                if (Interlocked.Increment(ref running) == 2)
                {
                    twoRunning.TrySetResult();
                }

                await release.Task;
                request.Reply.Write(request.Payload.Span);
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = 2 });
        await using var client = harness.CreateClient(new MessageClientOptions { MaxInFlightRequests = Requests, RequestTimeout = null, MaxReconnectAttempts = 0 });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);

        var calls = Enumerable.Range(0, Requests).Select(n => SendAsync(client, n, ct)).ToArray();
        await twoRunning.Task.WaitAsync(ct);
        var stop = harness.StopAsync();
        await states.WaitForAsync(MessageClientState.Reconnecting, ct); // the GoAway arrived
        release.SetResult();
        var outcomes = await Task.WhenAll(calls).WaitAsync(ct);
        await stop.WaitAsync(ct);

        outcomes.Should().OnlyContain(o => o == "ok" || o == "not-executed", "a graceful stop leaves no request in doubt");
        var completed = Enumerable.Range(0, Requests).Where(n => outcomes[n] == "ok").ToHashSet();
        var notExecuted = Enumerable.Range(0, Requests).Where(n => outcomes[n] == "not-executed").ToHashSet();
        completed.Should().BeEquivalentTo(executed.Keys, "exactly the requests that ran completed");
        notExecuted.Should().NotIntersectWith(executed.Keys, "none reported not executed had run");
        completed.Should().HaveCountGreaterThanOrEqualTo(2);
        notExecuted.Should().NotBeEmpty();

        static async Task<string> SendAsync(MessageClient client, int n, CancellationToken ct)
        {
            var payload = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(payload, n);
            try
            {
                using var reply = await client.SendRequestAsync("work", payload, ct);
                return BinaryPrimitives.ReadInt32BigEndian(reply.Payload.Span) == n ? "ok" : "wrong reply";
            }
            catch (RequestNotExecutedException)
            {
                return "not-executed";
            }
            catch (Exception ex)
            {
                return ex.GetType().Name + ": " + ex.Message;
            }
        }
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_DeadlinePasses_HandlersTokenFiresAndTheCallTimesOut(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokenFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new EventSignalLoggerProvider();
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (_, cancellationToken) =>
            {
                using var registration = cancellationToken.Register(() => tokenFired.TrySetResult());
                started.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            },
            new MessageServerOptions { TimeProvider = time });
        await using var client = harness.CreateClient(new MessageClientOptions { HeartbeatInterval = null, Transport = { TimeProvider = time, LoggerFactory = log } });
        await client.StartAsync(ct);

        var call = client.SendRequestAsync("slow", "x"u8.ToArray(), new RequestOptions { Timeout = TimeSpan.FromSeconds(2) }, ct).AsTask();
        await started.Task.WaitAsync(ct);
        time.Advance(TimeSpan.FromSeconds(2));

        await tokenFired.Task.WaitAsync(ct);
        await call.Invoking(c => c.WaitAsync(ct)).Should().ThrowAsync<TimeoutException>();
        await log.WaitForAsync(300, 1).WaitAsync(ct); // the server's DeadlineExceeded answer arrives late and frees the slot
        client.LateReplyCount.Should().Be(1);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_CallerCancels_HandlersTokenFiresAndTheSlotIsFreedByTheAnswer(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tokenFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, cancellationToken) =>
            {
                if (request.Method == "slow")
                {
                    using var registration = cancellationToken.Register(() => tokenFired.TrySetResult());
                    started.SetResult();
                    await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
                }

                request.Reply.Write(request.Payload.Span);
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = 2 });
        await using var client = harness.CreateClient(new MessageClientOptions { MaxInFlightRequests = 1 });
        await client.StartAsync(ct);
        using var cancel = new CancellationTokenSource();

        var call = client.SendRequestAsync("slow", "x"u8.ToArray(), cancel.Token).AsTask();
        await started.Task.WaitAsync(ct);
        await cancel.CancelAsync();

        await call.Invoking(c => c.WaitAsync(ct)).Should().ThrowAsync<OperationCanceledException>();
        await tokenFired.Task.WaitAsync(ct);
        using var next = await client.SendRequestAsync("fast", "y"u8.ToArray(), ct); // the only slot came back with the server's answer
        next.Payload.ToArray().Should().Equal("y"u8.ToArray());
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task StartAsync_ClientSpeaksAnotherVersion_ProtocolMismatchOnBothSidesAndNoReconnect(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var sessionStarted = false;
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (_, _) => ValueTask.CompletedTask,
            new MessageServerOptions { SessionStarted = (_, _) => { sessionStarted = true; return ValueTask.CompletedTask; } });
        await using var client = harness.CreateClient(new MessageClientOptions { ProtocolVersion = 2 });
        var states = new StateRecorder(client);

        var failure = await client.Invoking(c => c.StartAsync(ct)).Should().ThrowAsync<ProtocolMismatchException>();

        failure.Which.Message.Should().Contain("version 1").And.Contain("version 2");
        var serverSide = await harness.NextConnectionAsync(ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serverSide.ConnectionClosed.Register(closed.SetResult);
        await closed.Task.WaitAsync(ct);
        serverSide.CloseReason.Should().Be(CloseReason.ProtocolError);
        sessionStarted.Should().BeFalse();
        (await states.WaitForAsync(MessageClientState.Closed, ct)).Exception.Should().BeOfType<ProtocolMismatchException>();
        states.All.Should().Equal(MessageClientState.Closed);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task StartAsync_ServerSpeaksAnotherVersion_ProtocolMismatchException(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask, new MessageServerOptions { ProtocolVersion = 7 });
        await using var client = harness.CreateClient();

        var failure = await client.Invoking(c => c.StartAsync(ct)).Should().ThrowAsync<ProtocolMismatchException>();

        failure.Which.Message.Should().Contain("version 7");
        client.State.Should().Be(MessageClientState.Closed);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_RawPeerSendsAnotherVersion_TypedErrorFrameThenClose(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask);
        await using var connection = await harness.ConnectAsync(ct);

        await connection.SendAsync(RawPeer.Hello(version: 3), ct);

        var error = await RawPeer.ReadFrameAsync(connection, ct);
        error!.Kind.Should().Be(FrameKind.Error);
        error.Id.Should().Be(0UL);
        error.ErrorCode.Should().Be(MessageErrorCode.ProtocolMismatch);
        System.Text.Encoding.UTF8.GetString(error.Payload).Should().Contain("version 3");
        (await RawPeer.ReadFrameAsync(connection, ct)).Should().BeNull("the server closes after telling why");
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_IdsWrapAround_UniqueAndZeroSkipped(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var seen = new ConcurrentQueue<ulong>();
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (request, _) =>
            {
                seen.Enqueue(request.RequestId);
                return ValueTask.CompletedTask;
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = 4 });
        await using var client = harness.CreateClient(new MessageClientOptions { FirstRequestId = ulong.MaxValue - 20 });
        await client.StartAsync(ct);

        var replies = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => client.SendRequestAsync("id", ReadOnlyMemory<byte>.Empty, ct).AsTask())).WaitAsync(ct);
        foreach (var reply in replies)
        {
            reply.Dispose();
        }

        seen.Should().HaveCount(60).And.OnlyHaveUniqueItems().And.NotContain(0UL);
        seen.Should().Contain(ulong.MaxValue).And.Contain(1UL).And.Contain(39UL);
    }
}
