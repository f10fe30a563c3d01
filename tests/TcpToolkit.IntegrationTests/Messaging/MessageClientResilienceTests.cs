using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>
/// The client keeps its connection up: backoff, heartbeat, reconnects; time driven by FakeTimeProvider where it
/// matters. The theories run over both transports; a real server restart on the same port is socket-only.
/// </summary>
public sealed class MessageClientResilienceTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task StartAsync_ServerDown_BackoffDelaysFollowEqualJitterScheduleThenGivesUp(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, EchoAsync);
        await harness.StopAsync();
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        double[] jitter = [0.5, 1.0, 0.25, 1.0, 0.75];
        var jitterCalls = 0;
        var initial = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(4);
        var options = new MessageClientOptions
        {
            ReconnectInitialDelay = initial,
            ReconnectMaxDelay = max,
            MaxReconnectAttempts = jitter.Length,
            JitterSource = () => jitter[jitterCalls++],
            HeartbeatInterval = null,
            Transport = { TimeProvider = time },
        };
        await using var client = harness.CreateClient(options);
        var states = new StateRecorder(client);

        var start = client.StartAsync(ct);
        var delays = new List<TimeSpan>();
        for (var n = 0; n < jitter.Length; n++)
        {
            var due = await time.NextClientTimerAsync(options, ct);
            var ceiling = TimeSpan.FromTicks(Math.Min(max.Ticks, initial.Ticks << n));
            due.Should().BeGreaterThanOrEqualTo(ceiling / 2).And.BeLessThanOrEqualTo(ceiling, $"attempt {n} is in [c/2, c], c = min(max, initial * 2^{n})");
            delays.Add(due);
            fake.Advance(due);
        }

        var failure = await start.Invoking(s => s.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
        failure.Which.InnerException.Should().BeOfType(harness.ConnectFailureType);
        delays.Should().Equal(
            TimeSpan.FromMilliseconds(750), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3.5));
        jitterCalls.Should().Be(jitter.Length, "every delay draws from the jitter source");
        (await states.WaitForAsync(MessageClientState.Closed, ct)).Exception.Should().BeOfType(harness.ConnectFailureType);
        states.All.Should().Equal(MessageClientState.Closed);
    }

    [Fact]
    public async Task Transport_TimeProviderAndLoggerFactory_AreTheClientsAndItsTcpConnectionsOnlyOnes()
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(TestTransport.Sockets, EchoAsync);
        await harness.StopAsync();
        var time = new CountingTimeProvider(new FakeTimeProvider());
        var log = new EventSignalLoggerProvider();
        var options = new MessageClientOptions
        {
            MaxReconnectAttempts = 0,
            HeartbeatInterval = null,
            Transport = { TimeProvider = time, LoggerFactory = log, ConnectTimeout = TimeSpan.FromSeconds(7) },
        };
        await using var client = harness.CreateClient(options);

        await client.Invoking(c => c.StartAsync(ct)).Should().ThrowAsync<ConnectionLostException>();

        (await time.NextTimerAsync(ct)).Should().Be(TimeSpan.FromSeconds(7), "the TCP connect timeout runs on the client's clock");
        await log.WaitForAsync(304, 1).WaitAsync(ct); // ConnectFailed
        await log.WaitForAsync(306, 1).WaitAsync(ct); // GaveUp
    }

    [Fact]
    public async Task StateChanged_ServerRestartsOnSamePort_ConnectingConnectedReconnectingConnectedClosed()
    {
        var ct = TestServers.Timeout();
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        await using var harness = await MessagingHarness.StartAsync(TestTransport.Sockets, EchoAsync);
        var options = new MessageClientOptions
        {
            ReconnectInitialDelay = TimeSpan.FromSeconds(2),
            JitterSource = () => 0.5,
            HeartbeatInterval = null,
            RequestTimeout = null,
            Transport = { TimeProvider = time },
        };
        await using var client = harness.CreateClient(options);
        var states = new StateRecorder(client);
        client.State.Should().Be(MessageClientState.Connecting);

        await client.StartAsync(ct);
        await harness.StopAsync();
        (await states.WaitForAsync(MessageClientState.Reconnecting, ct)).Exception.Should().BeOfType<ConnectionLostException>();
        var due = await time.NextClientTimerAsync(options, ct);
        due.Should().Be(TimeSpan.FromSeconds(1.5));
        await harness.RestartAsync();
        fake.Advance(due);
        await states.WaitForAsync(MessageClientState.Connected, ct);
        using (var reply = await client.SendRequestAsync("", "again"u8.ToArray(), ct))
        {
            reply.Payload.ToArray().Should().Equal("again"u8.ToArray());
        }

        await client.DisposeAsync();

        states.All.Should().Equal(
            MessageClientState.Connected, MessageClientState.Reconnecting, MessageClientState.Connected, MessageClientState.Closed);
        client.ReconnectCount.Should().Be(1);
    }

    [Fact]
    public async Task SendRequestAsync_ServerStoppedAndRestartedOnSamePort_ClientReconnectsByItself()
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(TestTransport.Sockets, EchoAsync);
        await using var client = harness.CreateClient(new MessageClientOptions
        {
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        using (var first = await client.SendRequestAsync("", "one"u8.ToArray(), ct))
        {
            first.Payload.ToArray().Should().Equal("one"u8.ToArray());
        }

        await harness.StopAsync();
        await states.WaitForAsync(MessageClientState.Reconnecting, ct);
        await harness.RestartAsync();

        // Sent while reconnecting: it waits for the new connection instead of failing.
        using var second = await client.SendRequestAsync("", "two"u8.ToArray(), ct);

        second.Payload.ToArray().Should().Equal("two"u8.ToArray());
        client.ReconnectCount.Should().Be(1);
        client.State.Should().Be(MessageClientState.Connected);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendOneWayAsync_WhileReconnecting_QueuedUpToCapacityAndDeliveredInOrderAfterReconnect(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        var received = Channel.CreateUnbounded<string>();
        ValueTask Record(RequestContext request, CancellationToken cancellationToken)
        {
            received.Writer.TryWrite(System.Text.Encoding.UTF8.GetString(request.Payload.Span));
            return ValueTask.CompletedTask;
        }

        await using var harness = await MessagingHarness.StartAsync(transport, Record);
        var options = new MessageClientOptions
        {
            OneWayQueueCapacity = 2,
            ReconnectInitialDelay = TimeSpan.FromSeconds(1),
            JitterSource = () => 1.0,
            HeartbeatInterval = null,
            Transport = { TimeProvider = time },
        };
        await using var client = harness.CreateClient(options);
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        await client.SendOneWayAsync("", "before"u8.ToArray(), ct);
        (await received.Reader.ReadAsync(ct)).Should().Be("before");

        await harness.StopAsync();
        await states.WaitForAsync(MessageClientState.Reconnecting, ct);
        await client.SendOneWayAsync("", "queued-1"u8.ToArray(), ct);
        await client.SendOneWayAsync("", "queued-2"u8.ToArray(), ct);
        await client.Invoking(c => c.SendOneWayAsync("", "overflow"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<ConnectionLostException>();

        // The server went away, so the client tried again at once, found it stopped, and now waits its backoff.
        var due = await time.NextClientTimerAsync(options, ct);
        await harness.RestartAsync();
        fake.Advance(due);
        await states.WaitForAsync(MessageClientState.Connected, ct);
        await client.SendOneWayAsync("", "after"u8.ToArray(), ct);

        (await received.Reader.ReadAsync(ct)).Should().Be("queued-1");
        (await received.Reader.ReadAsync(ct)).Should().Be("queued-2");
        (await received.Reader.ReadAsync(ct)).Should().Be("after");
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendOneWayAsync_NotConnectedAndNoQueue_ThrowsConnectionLostException(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, EchoAsync);
        await harness.StopAsync();
        await using var client = harness.CreateClient(new MessageClientOptions { HeartbeatInterval = null });

        await client.Invoking(c => c.SendOneWayAsync("", "x"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<ConnectionLostException>();
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task Heartbeat_PeerCompletesHelloThenNeverAnswers_ConnectionDroppedWithinIntervalPlusTimeout(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var accepted = Channel.CreateUnbounded<Connection>();
        await using var silent = await TestHost.StartAsync(transport, async (connection, stopping) =>
        {
            // Completes the hello, then neither reads nor answers: a hung server, or a half-open connection.
            await RawPeer.AcceptHelloAsync(connection, stopping);
            accepted.Writer.TryWrite(connection);
            await Task.Delay(Timeout.InfiniteTimeSpan, stopping);
        });
        var time = new FakeTimeProvider();
        await using var client = new MessageClient(silent.EndPoint, new MessageClientOptions
        {
            ConnectionFactory = silent.ClientFactory,
            HeartbeatInterval = TimeSpan.FromSeconds(5),
            HeartbeatTimeout = TimeSpan.FromSeconds(5),
            MaxReconnectAttempts = 0,
            RequestTimeout = null,
            Transport = { TimeProvider = time },
        });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        var peer = await accepted.Reader.ReadAsync(ct);
        var pending = client.SendRequestAsync("ask", "anyone?"u8.ToArray(), ct).AsTask();
        var request = await RawPeer.ReadFrameAsync(peer, ct);
        request!.Kind.Should().Be(FrameKind.Request);
        request.Method.Should().Be("ask");
        request.Payload.Should().Equal("anyone?"u8.ToArray());

        time.Advance(TimeSpan.FromSeconds(5)); // idle for the interval: a ping goes out
        (await RawPeer.ReadFrameAsync(peer, ct))!.Kind.Should().Be(FrameKind.Ping);
        states.All.Should().BeEquivalentTo([MessageClientState.Connected]);
        time.Advance(TimeSpan.FromSeconds(5)); // no answer within the timeout: the connection is dropped

        var lost = await states.WaitForAsync(MessageClientState.Closed, ct);
        lost.Exception.Should().BeOfType<ConnectionLostException>().Which.Message.Should().Contain("ping");
        await pending.Invoking(p => p.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
    }

    private static ValueTask EchoAsync(RequestContext request, CancellationToken cancellationToken)
    {
        request.Reply.Write(request.Payload.Span);
        return ValueTask.CompletedTask;
    }

    private static async Task<byte[]> ReadExactlyAsync(Connection connection, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        var total = 0;
        while (total < count)
        {
            var read = await connection.ReceiveAsync(buffer.AsMemory(total), ct);
            read.Should().BePositive();
            total += read;
        }

        return buffer;
    }
}
