using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>
/// Issue #13's bounds: a hostile client cannot make the server hold more than its byte bound, liveness does not depend
/// on traffic the application makes, and payloads are copied before the calls return.
/// </summary>
public sealed class MessagingLimitsTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_ClientSendsAMillionRequestsAndNeverReads_ServerStaysInItsByteBoundClosesItAndServesOthers(TestTransport transport)
    {
        const int Bound = 64 * 1024;
        var ct = TestServers.Timeout();
        var sessions = new ConcurrentQueue<MessageSession>();
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (request, _) =>
            {
                request.Reply.Write(request.Payload.Span);
                return ValueTask.CompletedTask;
            },
            new MessageServerOptions
            {
                MaxBufferedBytesPerConnection = Bound,
                SessionStarted = (session, _) =>
                {
                    sessions.Enqueue(session);
                    return ValueTask.CompletedTask;
                },
            });
        await using var hostile = await harness.ConnectAsync(ct);
        var hostileServerSide = await harness.NextConnectionAsync(ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hostileServerSide.ConnectionClosed.Register(closed.SetResult);
        await RawPeer.ConnectHelloAsync(hostile, ct);

        var flood = Task.Run(() => FloodAsync(hostile, 1_000_000, ct), ct);
        await using var good = harness.CreateClient();
        await good.StartAsync(ct);
        var served = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var reply = await good.SendRequestAsync("echo", BitConverter.GetBytes(i), ct);
            return BitConverter.ToInt32(reply.Payload.Span);
        })).WaitAsync(ct);
        await closed.Task.WaitAsync(ct);
        var sent = await flood.WaitAsync(ct);

        served.Should().Equal(Enumerable.Range(0, 200), "the other client is served throughout");
        hostileServerSide.CloseReason.Should().Be(CloseReason.ProtocolError, "it broke the announced limits");
        sent.Should().BeLessThan(1_000_000, "the server closed it long before the last request");
        var channel = sessions.First(s => s.Id == hostileServerSide.Id).Channel;
        channel.IncomingBytesHighWater.Should().BeLessThanOrEqualTo(Bound, "the requests it held");
        channel.OutputHighWater.Should().BeLessThanOrEqualTo(Bound + 64, "the answers it held for a client that does not read (one frame over at most)");
    }

    [Fact]
    public async Task Heartbeat_ClientOnlyReceivesRarePushes_SurvivesTheServersIdleTimeoutWithTheAnnouncedPingInterval()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var sessions = Channel.CreateUnbounded<MessageSession>();
        var messages = new MessageServer(new MessageServerOptions
        {
            ClientPingInterval = TimeSpan.FromSeconds(4),
            TimeProvider = time,
            SessionStarted = (session, _) =>
            {
                sessions.Writer.TryWrite(session);
                return ValueTask.CompletedTask;
            },
        });
        var connections = Channel.CreateUnbounded<Connection>();
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                connections.Writer.TryWrite(connection);
                return messages.HandleConnectionAsync(connection, stopping);
            },
            options =>
            {
                options.IdleTimeout = TimeSpan.FromSeconds(10);
                options.TimeProvider = time;
            });
        var pushes = Channel.CreateUnbounded<string>();
        var pongs = Channel.CreateUnbounded<bool>();
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions
        {
            Handler = (message, _) =>
            {
                pushes.Writer.TryWrite(message.Method);
                return ValueTask.CompletedTask;
            },
            PongReceived = () => pongs.Writer.TryWrite(true),
            Transport = { TimeProvider = time }, // its own heartbeat interval stays the default 15 s
        });
        await client.StartAsync(ct);
        var session = await sessions.Reader.ReadAsync(ct);
        var serverSide = await connections.Reader.ReadAsync(ct);
        await session.SendOneWayAsync("first", ReadOnlyMemory<byte>.Empty, ct);
        (await pushes.Reader.ReadAsync(ct)).Should().Be("first");

        for (var i = 0; i < 15; i++)
        {
            // 60 s without application traffic, six times the idle timeout: a ping every 4 s keeps it open.
            AdvanceInSteps(time, TimeSpan.FromSeconds(4));
            await pongs.Reader.ReadAsync(ct);
        }

        await session.SendOneWayAsync("later", ReadOnlyMemory<byte>.Empty, ct);
        (await pushes.Reader.ReadAsync(ct)).Should().Be("later");
        serverSide.CloseReason.Should().Be(CloseReason.None);
        client.State.Should().Be(MessageClientState.Connected);
        client.ReconnectCount.Should().Be(0);
    }

    [Fact]
    public async Task Heartbeat_WithoutPings_PushOnlyClientIsClosedAsIdle()
    {
        // The control for the test above: without the announced interval nothing makes the client ping within the
        // server's 10 s idle timeout (its own heartbeat is off here, as a 15 s one would be too slow as well).
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var messages = new MessageServer((_, _) => ValueTask.CompletedTask, new MessageServerOptions { TimeProvider = time });
        var connections = Channel.CreateUnbounded<Connection>();
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                connections.Writer.TryWrite(connection);
                return messages.HandleConnectionAsync(connection, stopping);
            },
            options =>
            {
                options.IdleTimeout = TimeSpan.FromSeconds(10);
                options.TimeProvider = time;
            });
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions { HeartbeatInterval = null, Transport = { TimeProvider = time } });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);
        var serverSide = await connections.Reader.ReadAsync(ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serverSide.ConnectionClosed.Register(closed.SetResult);

        // The server checks every 2.5 s (a quarter of the idle timeout) and may skip a check while the last one runs:
        // 20 s leaves it several checks after 10 s of silence.
        AdvanceInSteps(time, TimeSpan.FromSeconds(20));

        await closed.Task.WaitAsync(ct);
        serverSide.CloseReason.Should().Be(CloseReason.IdleTimeout);
        await states.WaitForAsync(MessageClientState.Reconnecting, ct);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task Heartbeat_ServerSaturatedWithQueuedRequests_PingsAreStillAnsweredAndTheConnectionLives(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            async (request, _) =>
            {
                started.TrySetResult();
                await gate.Task; // the only handler slot stays busy: every other request waits in the queue
                request.Reply.Write(request.Payload.Span);
            },
            new MessageServerOptions { MaxRequestsInFlightPerConnection = 64, TimeProvider = time });
        var pongs = Channel.CreateUnbounded<bool>();
        await using var client = harness.CreateClient(new MessageClientOptions
        {
            MaxInFlightRequests = 64,
            RequestTimeout = null,
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            HeartbeatTimeout = TimeSpan.FromSeconds(1),
            PongReceived = () => pongs.Writer.TryWrite(true),
            Transport = { TimeProvider = time },
        });
        var states = new StateRecorder(client);
        await client.StartAsync(ct);

        // StartAsync returns once the connection is published, a moment before the client reports Connected (on a
        // loaded machine that moment outlasted this whole test once): the state list below counts from that report.
        await states.WaitForAsync(MessageClientState.Connected, ct);
        var calls = Enumerable.Range(0, 64).Select(i => client.SendRequestAsync("work", BitConverter.GetBytes(i), ct).AsTask()).ToArray();
        await started.Task.WaitAsync(ct);
        for (var i = 0; i < 10; i++)
        {
            // Ten heartbeat rounds with the server saturated: each ping is answered within its timeout.
            time.Advance(TimeSpan.FromSeconds(1));
            await pongs.Reader.ReadAsync(ct);
        }

        gate.SetResult();
        var replies = await Task.WhenAll(calls).WaitAsync(ct);
        foreach (var reply in replies)
        {
            reply.Dispose();
        }

        states.All.Should().Equal([MessageClientState.Connected], "the saturated server was never declared dead");
        client.ReconnectCount.Should().Be(0);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendOneWayAsync_CallersOverwriteTheirBufferAsSoonAsTheCallReturns_EveryMessageArrivesIntact(TestTransport transport)
    {
        const int Senders = 8;
        const int PerSender = 300;
        var ct = TestServers.Timeout();
        var received = 0;
        var corrupt = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (message, _) =>
            {
                if (!IsIntact(message.Payload.Span))
                {
                    Interlocked.Increment(ref corrupt);
                }

                if (Interlocked.Increment(ref received) == Senders * PerSender)
                {
                    all.SetResult();
                }

                return ValueTask.CompletedTask;
            });
        await using var client = harness.CreateClient();
        await client.StartAsync(ct);

        await Task.WhenAll(Enumerable.Range(0, Senders).Select(sender => Task.Run(
            async () =>
            {
                var buffer = new byte[256];
                for (var i = 0; i < PerSender; i++)
                {
                    Fill(buffer, sender, i);
                    var pending = client.SendOneWayAsync("copy", buffer, ct);
                    buffer.AsSpan().Fill(0xFF); // the call has returned: the bytes are the caller's again
                    await pending;
                }
            },
            ct))).WaitAsync(ct);

        await all.Task.WaitAsync(ct);
        corrupt.Should().Be(0);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SessionSendOneWayAsync_PushersOverwriteTheirBufferAsSoonAsTheCallReturns_EveryPushArrivesIntact(TestTransport transport)
    {
        const int Senders = 8;
        const int PerSender = 300;
        var ct = TestServers.Timeout();
        var sessions = Channel.CreateUnbounded<MessageSession>();
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (_, _) => ValueTask.CompletedTask,
            new MessageServerOptions
            {
                SessionStarted = (session, _) =>
                {
                    sessions.Writer.TryWrite(session);
                    return ValueTask.CompletedTask;
                },
            });
        var received = 0;
        var corrupt = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = harness.CreateClient(new MessageClientOptions
        {
            Handler = (message, _) =>
            {
                if (!IsIntact(message.Payload.Span))
                {
                    Interlocked.Increment(ref corrupt);
                }

                if (Interlocked.Increment(ref received) == Senders * PerSender)
                {
                    all.SetResult();
                }

                return ValueTask.CompletedTask;
            },
        });
        await client.StartAsync(ct);
        var session = await sessions.Reader.ReadAsync(ct);

        await Task.WhenAll(Enumerable.Range(0, Senders).Select(sender => Task.Run(
            async () =>
            {
                var buffer = new byte[256];
                for (var i = 0; i < PerSender; i++)
                {
                    Fill(buffer, sender, i);
                    var pending = session.SendOneWayAsync("push", buffer, ct);
                    buffer.AsSpan().Fill(0xFF);
                    await pending;
                }
            },
            ct))).WaitAsync(ct);

        await all.Task.WaitAsync(ct);
        corrupt.Should().Be(0);
    }

    private static void AdvanceInSteps(FakeTimeProvider time, TimeSpan total)
    {
        // The server's heartbeat ticks at a quarter of the shortest timeout: advance tick by tick as real time would.
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += TimeSpan.FromMilliseconds(250))
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
        }
    }

    private static void Fill(byte[] buffer, int sender, int sequence)
    {
        buffer.AsSpan().Fill((byte)sender);
        BinaryPrimitives.WriteInt32BigEndian(buffer, sequence);
    }

    private static bool IsIntact(ReadOnlySpan<byte> payload)
        => payload.Length == 256 && payload[4..].IndexOfAnyExcept(payload[4]) < 0 && payload[4] < 8;

    private static async Task<int> FloodAsync(Connection connection, int count, CancellationToken ct)
    {
        const int Batch = 1000;
        var payload = new byte[16];
        var buffer = new ArrayBufferWriter<byte>(Batch * 64);
        var sent = 0;
        try
        {
            while (sent < count)
            {
                buffer.ResetWrittenCount();
                for (var i = 0; i < Batch; i++)
                {
                    var id = (ulong)(sent + i + 1);
                    Wire.WriteCall(buffer, FrameKind.Request, id, 0, "echo", 4, ReadOnlySpan<byte>.Empty, payload);
                }

                await connection.SendAsync(buffer.WrittenMemory, ct);
                sent += Batch;
            }
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or InvalidOperationException or IOException)
        {
            // The server closed the connection: the flood ends here.
        }

        return sent;
    }
}
