using System.Buffers;
using System.Net;
using System.Threading.Channels;
using TcpToolkit.Connections;
using TcpToolkit.IntegrationTests.Messaging;
using TcpToolkit.Messaging;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// Issue #14: the request/response instruments, checked with a <see cref="System.Diagnostics.Metrics.MeterListener"/>-based recorder after a
/// scripted scenario over loopback sockets (calls that succeed, fail in the handler, time out, are cancelled, name an
/// unknown method; one-way messages both ways; a reconnect; a graceful stop). Only this test's meter factory is
/// listened to, so tests running beside it do not show up.
/// </summary>
public sealed class RpcMetricsTests
{
    private const string ClientDuration = "rpc.client.call.duration";
    private const string ServerDuration = "rpc.server.call.duration";
    private const string ClientActive = "tcptoolkit.rpc.client.call.active";
    private const string ServerActive = "tcptoolkit.rpc.server.call.active";
    private const string OneWay = "tcptoolkit.rpc.one_way_messages";
    private const string GoAways = "tcptoolkit.rpc.goaways";
    private const string LateReplies = "tcptoolkit.rpc.client.late_replies";
    private const string Reconnects = "tcptoolkit.rpc.client.reconnects";
    private const string ClientConnections = "tcptoolkit.rpc.client.connection.count";

    [Fact]
    public async Task Instruments_ScriptedScenario_RecordEveryOutcomeOneWayReconnectAndGoAway()
    {
        var ct = TestServers.Timeout();
        using var factory = new TestMeterFactory();
        using var recorder = new MetricRecorder(factory);
        var holdStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseSlow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var noted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pushed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = new MessageServer(new MessageServerOptions { MeterFactory = factory, MaxConcurrentRequestsPerConnection = 8 })
            .Map("echo", (request, _) =>
            {
                request.Reply.Write(request.Payload.Span);
                return ValueTask.CompletedTask;
            })
            .Map("fail", (_, _) => throw new InvalidOperationException("The handler failed on purpose."))
            .Map("slow", async (_, _) => await releaseSlow.Task) // ignores its token: answers only when released
            .Map("hold", async (_, token) =>
            {
                holdStarted.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            })
            .Map("note", (_, _) =>
            {
                noted.TrySetResult();
                return ValueTask.CompletedTask;
            })
            .Map("subscribe", (request, token) => request.Session.SendOneWayAsync("news", "hello"u8.ToArray(), token));
        var connections = Channel.CreateUnbounded<Connection>();
        await using var server = await TestServers.StartAsync((connection, stopping) =>
        {
            connections.Writer.TryWrite(connection);
            return messages.HandleConnectionAsync(connection, stopping);
        });
        var endPoint = (IPEndPoint)server.LocalEndPoint;
        var client = new MessageClient(endPoint, new MessageClientOptions
        {
            HeartbeatInterval = null,
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(1),
            Transport = new TcpClientOptions { MeterFactory = factory },
            Handler = (request, _) =>
            {
                pushed.TrySetResult(request.Method);
                return ValueTask.CompletedTask;
            },
        });
        try
        {
            var states = new StateRecorder(client);
            await client.StartAsync(ct);
            Connections(recorder).Should().Equal(0, 1, 0);

            for (var i = 0; i < 3; i++)
            {
                using var reply = await client.SendRequestAsync("echo", "ping"u8.ToArray(), ct);
            }

            (await client.Invoking(c => c.SendRequestAsync("fail", ReadOnlyMemory<byte>.Empty, ct).AsTask()).Should().ThrowAsync<RemoteErrorException>())
                .Which.ErrorCode.Should().Be(MessageErrorCode.HandlerFailed);
            var shortTimeout = new RequestOptions { Timeout = TimeSpan.FromMilliseconds(100) };
            await client.Invoking(c => c.SendRequestAsync("slow", ReadOnlyMemory<byte>.Empty, shortTimeout, ct).AsTask()).Should().ThrowAsync<TimeoutException>();

            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var held = client.SendRequestAsync("hold", ReadOnlyMemory<byte>.Empty, cancel.Token).AsTask();
                await holdStarted.Task.WaitAsync(ct);
                Active(recorder, ServerActive).Should().Contain("hold", 1, "the held request is in flight on the server")
                    .And.Contain("slow", 1, "the slow handler ignores its deadline and still runs")
                    .And.Contain("echo", 0, "every echo was answered");
                Active(recorder, ClientActive).Should().Contain("hold", 1, "the held call is in flight on the client")
                    .And.Contain("slow", 0, "the client's slow call timed out");
                await cancel.CancelAsync();
                await held.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
            }

            (await client.Invoking(c => c.SendRequestAsync("nope", ReadOnlyMemory<byte>.Empty, ct).AsTask()).Should().ThrowAsync<RemoteErrorException>())
                .Which.ErrorCode.Should().Be(MessageErrorCode.UnknownMethod);

            // The slow handler answers now, long after its caller gave up, and the held one answered Cancelled: both
            // answers are late replies.
            releaseSlow.SetResult();
            await recorder.WaitForAsync(all => all.Count(r => r.Instrument == LateReplies) == 2).WaitAsync(ct);

            await client.SendOneWayAsync("note", "n"u8.ToArray(), ct);
            await noted.Task.WaitAsync(ct);
            using (await client.SendRequestAsync("subscribe", ReadOnlyMemory<byte>.Empty, ct))
            {
                (await pushed.Task.WaitAsync(ct)).Should().Be("news");
            }

            // A lost connection: the client reconnects.
            (await connections.Reader.ReadAsync(ct)).Abort("The test drops the connection.");
            await states.WaitForAsync(MessageClientState.Reconnecting, ct);
            await states.WaitForAsync(MessageClientState.Connected, ct);
            using (await client.SendRequestAsync("echo", "again"u8.ToArray(), ct))
            {
            }

            Connections(recorder).Should().Equal(0, 1, 0);

            // A graceful stop: the server's session sends GoAway, the client receives it.
            await server.StopAsync(ct);
            await recorder.WaitForAsync(all => all.Count(r => r.Instrument == GoAways) == 2).WaitAsync(ct);
            await recorder.WaitForAsync(all => all.Count(r => r.Instrument == ServerDuration) == 9).WaitAsync(ct);
        }
        finally
        {
            await client.DisposeAsync();
        }

        Connections(recorder).Should().Equal(0, 0, 0);

        Outcomes(recorder, ClientDuration).Should().BeEquivalentTo(
        [
            "echo:", "echo:", "echo:", "echo:", "fail:handler_failed", "slow:timeout", "hold:cancelled", "nope:unknown_method", "subscribe:",
        ]);
        Outcomes(recorder, ServerDuration).Should().BeEquivalentTo(
            ["echo:", "echo:", "echo:", "echo:", "fail:handler_failed", "slow:", "hold:cancelled", "_OTHER:unknown_method", "subscribe:"],
            "the server names only its routes; an unknown method is _OTHER, whatever the peer sent");
        recorder.Of(ClientDuration).Concat(recorder.Of(ServerDuration)).Concat(recorder.Of(ClientActive)).Concat(recorder.Of(ServerActive))
            .Should().OnlyContain(r => r.Tag("rpc.system.name") == "tcptoolkit");
        Active(recorder, ClientActive).Should().BeEquivalentTo(
            new Dictionary<string, double> { ["echo"] = 0, ["fail"] = 0, ["slow"] = 0, ["hold"] = 0, ["nope"] = 0, ["subscribe"] = 0 },
            "every call that began on the client ended");
        Active(recorder, ServerActive).Should().BeEquivalentTo(
            new Dictionary<string, double> { ["echo"] = 0, ["fail"] = 0, ["slow"] = 0, ["hold"] = 0, ["subscribe"] = 0, ["_OTHER"] = 0 },
            "every call that began on the server ended; the unknown method was in flight as _OTHER");
        recorder.Of(ClientDuration).Should().OnlyContain(r => r.Value >= 0);
        recorder.Of(ClientDuration).Single(r => r.Tag("rpc.method") == "slow").Value.Should().BeGreaterThanOrEqualTo(0.1, "it lasted its timeout");
        recorder.Of(ServerDuration).Single(r => r.Tag("rpc.method") == "slow").Value.Should().BeGreaterThan(0.1, "it ran until released");

        recorder.Of(LateReplies).Sum(r => r.Value).Should().Be(2);
        recorder.Of(OneWay).Select(r => r.Tag("rpc.method") + ":" + r.Tag("network.io.direction")).Should().BeEquivalentTo(
            ["note:transmit", "note:receive", "news:transmit", "_OTHER:receive"],
            "the client maps no routes, so the push it receives is _OTHER there");
        recorder.Of(GoAways).Select(r => r.Tag("network.io.direction")).Should().BeEquivalentTo(["transmit", "receive"]);
        var reconnect = recorder.Of(Reconnects).Should().ContainSingle().Subject;
        reconnect.Value.Should().Be(1);
        reconnect.Tag("server.address").Should().Be("127.0.0.1");
        reconnect.Tags["server.port"].Should().Be(endPoint.Port);
    }

    private static List<double> Connections(MetricRecorder recorder)
    {
        var observed = recorder.Observe(ClientConnections);
        return
        [
            observed.Single(r => r.Tag("tcptoolkit.rpc.client.connection.state") == "connecting").Value,
            observed.Single(r => r.Tag("tcptoolkit.rpc.client.connection.state") == "connected").Value,
            observed.Single(r => r.Tag("tcptoolkit.rpc.client.connection.state") == "reconnecting").Value,
        ];
    }

    private static Dictionary<string, double> Active(MetricRecorder recorder, string instrument)
        => recorder.Observe(instrument).ToDictionary(r => r.Tag("rpc.method")!, r => r.Value);

    private static List<string> Outcomes(MetricRecorder recorder, string instrument)
        => [.. recorder.Of(instrument).Select(r => r.Tag("rpc.method") + ":" + r.Tag("error.type"))];
}
