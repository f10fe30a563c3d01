using System.Net;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// <c>connection.active</c>, <c>connection.duration</c> (by close reason) on both sides and the client's
/// <c>connect.duration</c>, after the scripted scenario's steps.
/// </summary>
public sealed class ConnectionMetricsTests
{
    [Fact]
    public async Task ConnectionActive_TwoOpenThenClosed_CountedOnBothSidesWithEndpointAttributes()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        var started = new CountdownEvent(2);
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await scenario.StartServerAsync(async (connection, stopping) =>
        {
            if (started.Signal())
            {
                bothStarted.TrySetResult();
            }

            await TestServers.EchoAsync(connection, stopping);
        });
        var port = ((IPEndPoint)server.LocalEndPoint).Port;
        var endPoint = new (string, object?)[] { ("network.transport", "tcp"), ("network.type", "ipv4"), ("server.address", "127.0.0.1"), ("server.port", port) };

        var first = await scenario.Client.ConnectAsync(server.LocalEndPoint, ct);
        var second = await scenario.Client.ConnectAsync(server.LocalEndPoint, ct);
        await bothStarted.Task.WaitAsync(ct);

        scenario.Recorder.Sum(Names.ServerConnectionActive, endPoint).Should().Be(2);
        scenario.Recorder.Sum(Names.ClientConnectionActive, endPoint).Should().Be(2);

        await first.DisposeAsync();
        await second.DisposeAsync();
        await scenario.Recorder.WaitForAsync(Names.ServerConnectionDuration, m => m.Has(("server.port", port)), count: 2).WaitAsync(ct);
        await scenario.Recorder.WaitForAsync(Names.ClientConnectionDuration, m => m.Has(("server.port", port)), count: 2).WaitAsync(ct);

        scenario.Recorder.Sum(Names.ServerConnectionActive, endPoint).Should().Be(0);
        scenario.Recorder.Sum(Names.ClientConnectionActive, endPoint).Should().Be(0);
        scenario.Recorder.Recorded(Names.ServerConnectionDuration).Should().OnlyContain(m => m.Has(endPoint) && m["error.type"] == null, "both closed cleanly");
    }

    [Fact]
    public async Task ConnectionDuration_CloseByEachReason_RecordsTheReasonAsErrorType()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.CloseEachWayAsync(ct);
        await scenario.IdleTimeoutAsync(ct);

        var durations = scenario.Recorder.Recorded(Names.ServerConnectionDuration);
        durations.Select(m => m["error.type"]).Should().Contain(["remote_reset", "local_abort", "handler_fault", "protocol_error", "idle_timeout"]);
        durations.Count(m => m["error.type"] is null).Should().Be(2, "the server's and the client's graceful closes are clean");
        var commandServer = durations.Where(m => m.Has(("server.port", scenario.Port))).ToList();
        commandServer.Should().HaveCount(6);
        commandServer.All(m => m.Has(("network.transport", "tcp"), ("server.address", "127.0.0.1"))).Should().BeTrue();
        durations.Single(m => Equals(m["error.type"], "idle_timeout")).Value.Should().BeGreaterThanOrEqualTo(10, "the fake clock ran 12 s past the connect and the idle timeout is 10 s");

        // The attribute is the close reason the connection itself reports.
        foreach (var command in "grafp")
        {
            var reason = scenario.ServerCloseReasons[scenario.ServerConnectionIds[command]];
            DiagnosticsScenario.ExpectedErrorType(command).Should().Be(
                reason is CloseReason.LocalClose or CloseReason.RemoteClose ? null : Snake(reason), "command {0} closed with {1}", command, reason);
        }
    }

    [Fact]
    public async Task ConnectDuration_SuccessAndRefusal_FailureCarriesTheSocketError()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        await using (var connection = await scenario.Client.ConnectAsync(scenario.Server.LocalEndPoint, ct))
        {
            var refused = await scenario.Client.TryConnectAsync(new IPEndPoint(IPAddress.Loopback, closedPort), ct);
            refused.SocketError.Should().Be(SocketError.ConnectionRefused);
        }

        var connects = scenario.Recorder.Recorded(Names.ClientConnectDuration);
        connects.Where(m => m.Has(("server.port", scenario.Port), ("server.address", "127.0.0.1"), ("network.type", "ipv4"), ("error.type", null))).Should().ContainSingle();
        connects.Where(m => m.Has(("server.port", closedPort), ("error.type", "connection_refused"))).Should().ContainSingle();
        connects.Should().OnlyContain(m => m.Value >= 0 && m.Value < TestTimeouts.Default.TotalSeconds);
    }

    [Fact]
    public async Task ConnectDuration_HostName_CarriesTheNameAsked()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        await using var client = new TcpClient(new TcpToolkit.Transport.TcpClientOptions { MeterFactory = scenario.Factory });

        await using (await client.ConnectAsync(new DnsEndPoint("localhost", scenario.Port, AddressFamily.InterNetwork), ct))
        {
        }

        scenario.Recorder.Recorded(Names.ClientConnectDuration).Where(m => m.Has(("server.address", "localhost"), ("server.port", scenario.Port))).Should().ContainSingle()
            .Which.Tags.Should().NotContainKey("network.type", "a host name has no address family of its own");
    }

    private static string Snake(CloseReason reason) => string.Concat(reason.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
