using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Framing;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>Request/response over one connection, on both transports: multiplexing, timeouts, cancellation, loss, handler errors, pushes.</summary>
public sealed class MessageRequestTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_TenThousandRequestsHundredInFlightRepliedInShuffledOrder_EveryReplyMatchesItsRequest(TestTransport transport)
    {
        const int InFlight = 100;
        const int PerWorker = 100;
        var ct = TestServers.Timeout();
        var batch = new List<TaskCompletionSource>(InFlight);
        var random = new Random(5);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, cancellationToken) =>
            {
                // Hold each request until a full batch has arrived, then release the batch in a shuffled order.
                var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (batch)
                {
                    batch.Add(release);
                    if (batch.Count == InFlight)
                    {
                        var order = batch.ToArray();
                        batch.Clear();
                        random.Shuffle(order);
                        foreach (var next in order)
                        {
                            next.SetResult();
                        }
                    }
                }

                await release.Task.WaitAsync(cancellationToken);
                var n = BinaryPrimitives.ReadInt32BigEndian(request.Payload.Span);
                BinaryPrimitives.WriteInt32BigEndian(request.Reply.GetSpan(4), ~n);
                request.Reply.Advance(4);
                request.Reply.Write(request.Payload.Span); // the request echoed after the transformed number
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = InFlight });
        await using var client = harness.CreateClient(new MessageClientOptions { MaxInFlightRequests = InFlight });
        await client.StartAsync(ct);
        var arrival = new ConcurrentQueue<int>();

        var workers = Enumerable.Range(0, InFlight).Select(worker => Task.Run(
            async () =>
            {
                var payload = new byte[4];
                for (var i = 0; i < PerWorker; i++)
                {
                    var n = (worker * PerWorker) + i;
                    BinaryPrimitives.WriteInt32BigEndian(payload, n);
                    using var reply = await client.SendRequestAsync("", payload, ct);
                    reply.Length.Should().Be(8);
                    BinaryPrimitives.ReadInt32BigEndian(reply.Payload.Span).Should().Be(~n);
                    BinaryPrimitives.ReadInt32BigEndian(reply.Payload.Span[4..]).Should().Be(n);
                    arrival.Enqueue(n);
                }
            },
            ct));
        await Task.WhenAll(workers).WaitAsync(ct);

        arrival.Should().HaveCount(InFlight * PerWorker).And.OnlyHaveUniqueItems();
        var firstBatch = arrival.Take(InFlight).ToArray();
        firstBatch.Should().NotBeInAscendingOrder("the server released the first batch in a shuffled order").And.NotBeInDescendingOrder();
        client.LateReplyCount.Should().Be(0);
        client.ReconnectCount.Should().Be(0);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_MaxInFlightRequestsTimeOut_DeadlineReachesServerSlotsFreedByItsAnswersLateRepliesCounted(TestTransport transport)
    {
        const int Max = 4;
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var log = new EventSignalLoggerProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        var allHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, cancellationToken) =>
            {
                if (request.Payload.Span.SequenceEqual("hold"u8))
                {
                    if (Interlocked.Increment(ref held) == Max)
                    {
                        allHeld.SetResult();
                    }

                    await gate.Task.WaitAsync(cancellationToken);
                }

                request.Reply.Write(request.Payload.Span);
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = Max + 1, TimeProvider = time });
        await using var client = harness.CreateClient(new MessageClientOptions
        {
            MaxInFlightRequests = Max,
            RequestTimeout = TimeSpan.FromSeconds(5),
            HeartbeatInterval = null,
            Transport = { TimeProvider = time, LoggerFactory = log },
        });
        await client.StartAsync(ct);

        var held1 = Enumerable.Range(0, Max).Select(_ => client.SendRequestAsync("", "hold"u8.ToArray(), ct).AsTask()).ToArray();
        await allHeld.Task.WaitAsync(ct);
        var waiting = client.SendRequestAsync("", "wait"u8.ToArray(), new RequestOptions { Timeout = TimeSpan.FromSeconds(60) }, ct).AsTask();
        waiting.IsCompleted.Should().BeFalse("every slot is taken");
        time.Advance(TimeSpan.FromSeconds(5));

        foreach (var request in held1)
        {
            await request.Invoking(r => r.WaitAsync(ct)).Should().ThrowAsync<TimeoutException>();
        }

        using (var reply = await waiting.WaitAsync(ct))
        {
            reply.Payload.ToArray().Should().Equal("wait"u8.ToArray());
        }

        gate.SetResult();
        await log.WaitForAsync(300, Max).WaitAsync(ct);
        client.LateReplyCount.Should().Be(Max);

        var next = await Task.WhenAll(Enumerable.Range(0, Max).Select(i => client.SendRequestAsync("", new[] { (byte)i }, ct).AsTask())).WaitAsync(ct);
        next.Select(r => r.Payload.Span[0]).Should().Equal(0, 1, 2, 3);
        foreach (var reply in next)
        {
            reply.Dispose();
        }
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_MaxInFlightRequestsCancelled_SlotsAreFreedAndNextRequestsSucceed(TestTransport transport)
    {
        const int Max = 3;
        var ct = TestServers.Timeout();
        var held = 0;
        var allHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, cancellationToken) =>
            {
                if (request.Payload.Span.SequenceEqual("hold"u8))
                {
                    if (Interlocked.Increment(ref held) == Max)
                    {
                        allHeld.SetResult();
                    }

                    await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
                }

                request.Reply.Write(request.Payload.Span);
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = Max + 1 }); // the held handlers never return
        await using var client = harness.CreateClient(new MessageClientOptions { MaxInFlightRequests = Max, RequestTimeout = null });
        await client.StartAsync(ct);
        using var cancel = new CancellationTokenSource();

        var held1 = Enumerable.Range(0, Max).Select(_ => client.SendRequestAsync("", "hold"u8.ToArray(), cancel.Token).AsTask()).ToArray();
        await allHeld.Task.WaitAsync(ct);
        await cancel.CancelAsync();

        foreach (var request in held1)
        {
            await request.Invoking(r => r.WaitAsync(ct)).Should().ThrowAsync<OperationCanceledException>();
        }

        for (var i = 0; i < Max; i++)
        {
            using var reply = await client.SendRequestAsync("", "next"u8.ToArray(), ct);
            reply.Payload.ToArray().Should().Equal("next"u8.ToArray());
        }
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_ConnectionLostWithRequestsPending_AllFailAtOnceWithConnectionLostException(TestTransport transport)
    {
        const int Pending = 20;
        var ct = TestServers.Timeout();
        var held = 0;
        var allHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, cancellationToken) =>
            {
                if (Interlocked.Increment(ref held) == Pending)
                {
                    allHeld.SetResult();
                }

                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = Pending });
        await using var client = harness.CreateClient(new MessageClientOptions { MaxReconnectAttempts = 0, RequestTimeout = null });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        var serverSide = await harness.NextConnectionAsync(ct);

        var requests = Enumerable.Range(0, Pending).Select(_ => client.SendRequestAsync("", "x"u8.ToArray(), ct).AsTask()).ToArray();
        await allHeld.Task.WaitAsync(ct);
        serverSide.Abort("test: drop the connection");

        foreach (var request in requests)
        {
            await request.Invoking(r => r.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
        }

        await client.Invoking(c => c.SendRequestAsync("", "after"u8.ToArray(), ct).AsTask())
            .Should().ThrowAsync<ConnectionLostException>("the client gives up at once (MaxReconnectAttempts = 0)");
        (await states.WaitForAsync(MessageClientState.Closed, ct)).Exception.Should().BeOfType<ConnectionLostException>();
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_HandlerThrows_RemoteErrorExceptionAndConnectionStaysUsable(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (request, cancellationToken) =>
            {
                if (request.Payload.Span.SequenceEqual("boom"u8))
                {
                    throw new InvalidOperationException("secret detail");
                }

                request.Reply.Write(request.Payload.Span);
                return ValueTask.CompletedTask;
            });
        await using var client = harness.CreateClient();
        await client.StartAsync(ct);

        var failure = await client.Invoking(c => c.SendRequestAsync("", "boom"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<RemoteErrorException>();
        failure.Which.Message.Should().NotContain("secret", "exception details stay on the server by default");
        failure.Which.ErrorCode.Should().Be(MessageErrorCode.HandlerFailed);
        using var reply = await client.SendRequestAsync("", "fine"u8.ToArray(), ct);

        reply.Payload.ToArray().Should().Equal("fine"u8.ToArray());
        client.State.Should().Be(MessageClientState.Connected);
        client.ReconnectCount.Should().Be(0);
        harness.ConnectionCount.Should().Be(1);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_HandlerThrowsWithDetailsEnabled_MessageCarriesTypeAndText(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (_, _) => throw new InvalidOperationException("bad key"),
            new MessageServerOptions { IncludeExceptionDetails = true });
        await using var client = harness.CreateClient();
        await client.StartAsync(ct);

        var failure = await client.Invoking(c => c.SendRequestAsync("", "x"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<RemoteErrorException>();

        failure.Which.Message.Should().Be("InvalidOperationException: bad key");
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_PayloadAboveServersAnnouncedMaxFrameLength_ThrowsBeforeSending(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask, new MessageServerOptions { MaxFrameLength = 256 });
        await using var client = harness.CreateClient();
        await client.StartAsync(ct);

        // The server announced 256 bytes; a request frame is 19 bytes + method + payload.
        await client.Invoking(c => c.SendRequestAsync("", new byte[256 - Wire.RequestOverhead + 1], ct).AsTask()).Should().ThrowAsync<FrameTooLargeException>();
        using var reply = await client.SendRequestAsync("", new byte[256 - Wire.RequestOverhead], ct);

        reply.Length.Should().Be(0);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendOneWayAsync_ServerPushesBack_ClientHandlerGetsIt(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var pushed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, cancellationToken) =>
            {
                request.IsOneWay.Should().BeTrue();
                var text = Encoding.UTF8.GetString(request.Payload.Span);
                await request.Session.SendOneWayAsync("news", Encoding.UTF8.GetBytes("pushed:" + text), cancellationToken);
            });
        await using var client = harness.CreateClient(new MessageClientOptions
        {
            Handler = (message, _) =>
            {
                pushed.TrySetResult(message.Method + "/" + Encoding.UTF8.GetString(message.Payload.Span));
                return ValueTask.CompletedTask;
            },
        });
        await client.StartAsync(ct);

        await client.SendOneWayAsync("subscribe", "subscribe"u8.ToArray(), ct);

        (await pushed.Task.WaitAsync(ct)).Should().Be("news/pushed:subscribe");
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_SerialServer_RepliesInRequestOrder(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var order = new ConcurrentQueue<int>();
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (request, _) =>
            {
                order.Enqueue(request.Payload.Span[0]);
                request.Reply.Write(request.Payload.Span);
                return ValueTask.CompletedTask;
            });
        await using var client = harness.CreateClient();
        await client.StartAsync(ct);

        // Written one after another (each write completes before the next starts), so the server sees them in this order.
        var requests = new List<Task<MessageReply>>();
        for (var i = 0; i < 50; i++)
        {
            requests.Add(client.SendRequestAsync("", new[] { (byte)i }, ct).AsTask());
        }

        var replies = await Task.WhenAll(requests).WaitAsync(ct);

        order.Should().BeInAscendingOrder();
        replies.Select(r => (int)r.Payload.Span[0]).Should().Equal(Enumerable.Range(0, 50));
        foreach (var reply in replies)
        {
            reply.Dispose();
        }
    }
}
