using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Messaging;
using TcpToolkit.Transport;
using Socket = System.Net.Sockets.Socket;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>The client keeps its connection up: backoff, heartbeat, restarts; time driven by FakeTimeProvider where it matters.</summary>
public sealed class MessageClientResilienceTests
{
    [Fact]
    public async Task StartAsync_ServerDown_BackoffDelaysFollowFullJitterScheduleThenGivesUp()
    {
        var ct = TestServers.Timeout();
        var deadEndPoint = await UnusedEndPointAsync();
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
        await using var client = new MessageClient(deadEndPoint, options);
        var states = new StateRecorder(client);

        var start = client.StartAsync(ct);
        var delays = new List<TimeSpan>();
        for (var n = 0; n < jitter.Length; n++)
        {
            var due = await time.NextClientTimerAsync(options, ct);
            var ceiling = TimeSpan.FromTicks(Math.Min(max.Ticks, initial.Ticks << n));
            due.Should().BeGreaterThanOrEqualTo(TimeSpan.Zero).And.BeLessThanOrEqualTo(ceiling, $"attempt {n} is capped at min(max, initial * 2^{n})");
            delays.Add(due);
            fake.Advance(due);
        }

        var failure = await start.Invoking(s => s.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
        failure.Which.InnerException.Should().BeOfType<TcpConnectException>();
        delays.Should().Equal(
            TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3));
        jitterCalls.Should().Be(jitter.Length, "every delay draws from the jitter source");
        (await states.WaitForAsync(MessageClientState.Closed, ct)).Exception.Should().BeOfType<TcpConnectException>();
        states.All.Should().Equal(MessageClientState.Closed);
    }

    [Fact]
    public async Task StateChanged_ServerRestartsOnSamePort_ConnectingConnectedReconnectingConnectedClosed()
    {
        var ct = TestServers.Timeout();
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        var harness = await MessagingHarness.StartAsync(EchoAsync);
        var endPoint = harness.EndPoint;
        var options = new MessageClientOptions
        {
            ReconnectInitialDelay = TimeSpan.FromSeconds(2),
            JitterSource = () => 0.5,
            HeartbeatInterval = null,
            RequestTimeout = null,
            Transport = { TimeProvider = time },
        };
        await using var client = new MessageClient(endPoint, options);
        var states = new StateRecorder(client);
        client.State.Should().Be(MessageClientState.Connecting);

        await client.StartAsync(ct);
        await harness.DisposeAsync();
        (await states.WaitForAsync(MessageClientState.Reconnecting, ct)).Exception.Should().BeOfType<ConnectionLostException>();
        var due = await time.NextClientTimerAsync(options, ct);
        due.Should().Be(TimeSpan.FromSeconds(1));
        await using var restarted = await MessagingHarness.StartAsync(EchoAsync, endPoint: endPoint);
        fake.Advance(due);
        await states.WaitForAsync(MessageClientState.Connected, ct);
        using (var reply = await client.SendRequestAsync("again"u8.ToArray(), ct))
        {
            reply.Memory.ToArray().Should().Equal("again"u8.ToArray());
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
        var harness = await MessagingHarness.StartAsync(EchoAsync);
        var endPoint = harness.EndPoint;
        await using var client = new MessageClient(endPoint, new MessageClientOptions
        {
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        using (var first = await client.SendRequestAsync("one"u8.ToArray(), ct))
        {
            first.Memory.ToArray().Should().Equal("one"u8.ToArray());
        }

        await harness.DisposeAsync();
        await states.WaitForAsync(MessageClientState.Reconnecting, ct);
        await using var restarted = await MessagingHarness.StartAsync(EchoAsync, endPoint: endPoint);

        // Sent while reconnecting: it waits for the new connection instead of failing.
        using var second = await client.SendRequestAsync("two"u8.ToArray(), ct);

        second.Memory.ToArray().Should().Equal("two"u8.ToArray());
        client.ReconnectCount.Should().Be(1);
        client.State.Should().Be(MessageClientState.Connected);
    }

    [Fact]
    public async Task SendOneWayAsync_WhileReconnecting_QueuedUpToCapacityAndDeliveredInOrderAfterReconnect()
    {
        var ct = TestServers.Timeout();
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        var received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        ValueTask Record(RequestContext request, CancellationToken cancellationToken)
        {
            received.Writer.TryWrite(System.Text.Encoding.UTF8.GetString(request.Payload.Span));
            return ValueTask.CompletedTask;
        }

        var harness = await MessagingHarness.StartAsync(Record);
        var endPoint = harness.EndPoint;
        var options = new MessageClientOptions
        {
            OneWayQueueCapacity = 2,
            ReconnectInitialDelay = TimeSpan.FromSeconds(1),
            JitterSource = () => 1.0,
            HeartbeatInterval = null,
            Transport = { TimeProvider = time },
        };
        await using var client = new MessageClient(endPoint, options);
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        await client.SendOneWayAsync("before"u8.ToArray(), ct);
        (await received.Reader.ReadAsync(ct)).Should().Be("before");

        await harness.DisposeAsync();
        await states.WaitForAsync(MessageClientState.Reconnecting, ct);
        await client.SendOneWayAsync("queued-1"u8.ToArray(), ct);
        await client.SendOneWayAsync("queued-2"u8.ToArray(), ct);
        await client.Invoking(c => c.SendOneWayAsync("overflow"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<ConnectionLostException>();
        await using var restarted = await MessagingHarness.StartAsync(Record, endPoint: endPoint);
        fake.Advance(await time.NextClientTimerAsync(options, ct));
        await states.WaitForAsync(MessageClientState.Connected, ct);
        await client.SendOneWayAsync("after"u8.ToArray(), ct);

        (await received.Reader.ReadAsync(ct)).Should().Be("queued-1");
        (await received.Reader.ReadAsync(ct)).Should().Be("queued-2");
        (await received.Reader.ReadAsync(ct)).Should().Be("after");
    }

    [Fact]
    public async Task SendOneWayAsync_NotConnectedAndNoQueue_ThrowsConnectionLostException()
    {
        var ct = TestServers.Timeout();
        await using var client = new MessageClient(await UnusedEndPointAsync(), new MessageClientOptions { HeartbeatInterval = null });

        await client.Invoking(c => c.SendOneWayAsync("x"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<ConnectionLostException>();
    }

    [Fact]
    public async Task Heartbeat_PeerAcceptsButNeverAnswers_ConnectionDroppedWithinIntervalPlusTimeout()
    {
        var ct = TestServers.Timeout();
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen();
        var accepted = silent.AcceptAsync(ct).AsTask();
        var time = new FakeTimeProvider();
        await using var client = new MessageClient(silent.LocalEndPoint!, new MessageClientOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(5),
            HeartbeatTimeout = TimeSpan.FromSeconds(5),
            MaxReconnectAttempts = 0,
            RequestTimeout = null,
            Transport = { TimeProvider = time },
        });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        using var peer = await accepted.WaitAsync(ct);
        var pending = client.SendRequestAsync("anyone?"u8.ToArray(), ct).AsTask();

        time.Advance(TimeSpan.FromSeconds(5)); // idle for the interval: a ping goes out
        states.All.Should().BeEquivalentTo([MessageClientState.Connected]);
        time.Advance(TimeSpan.FromSeconds(5)); // no answer within the timeout: the connection is dropped

        var lost = await states.WaitForAsync(MessageClientState.Closed, ct);
        lost.Exception.Should().BeOfType<ConnectionLostException>().Which.Message.Should().Contain("ping");
        await pending.Invoking(p => p.WaitAsync(ct)).Should().ThrowAsync<ConnectionLostException>();
        // What the silent peer got: the request (9-byte header + 7 bytes), then a Ping (length 5, kind 6).
        var received = new byte[16 + 9];
        var total = 0;
        while (total < received.Length)
        {
            var read = await peer.ReceiveAsync(received.AsMemory(total), ct);
            read.Should().BePositive();
            total += read;
        }

        received.AsSpan(16, 5).ToArray().Should().Equal(0, 0, 0, 5, 6);
    }

    private static ValueTask EchoAsync(RequestContext request, CancellationToken cancellationToken)
    {
        request.Reply.Write(request.Payload.Span);
        return ValueTask.CompletedTask;
    }

    private static async Task<EndPoint> UnusedEndPointAsync()
    {
        // A port that was just bound and released: connects to it are refused.
        await using var server = await TestServers.StartAsync((_, _) => Task.CompletedTask);
        return server.LocalEndPoint;
    }
}
