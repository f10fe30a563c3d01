using Microsoft.Extensions.Logging.Testing;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// The same scripted scenario seen through the log: each step's event IDs, and the <c>ConnectionId</c> scope that
/// the server's middleware and handler run in (Kestrel's), which names the connection in the application's own events.
/// </summary>
public sealed class LogEventTests
{
    [Fact]
    public async Task Scenario_EveryStep_LogsItsEventIds()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.EchoFramesAsync(count: 3, size: 10, ct);
        await scenario.CloseEachWayAsync(ct);
        await scenario.RejectAsync(ct);
        await scenario.TlsHandshakesAsync(ct);
        await scenario.IdleTimeoutAsync(ct);

        var ids = scenario.Logs.GetSnapshot().Select(r => r.Id.Id).ToHashSet();
        ids.Should().Contain(
        [
            1,   // Listening
            2,   // ConnectionRejected (MaxConnections)
            5,   // HandlerFaulted
            10,  // ProtocolError (the oversize frame)
            100, // ConnectionOpened
            101, // ConnectionClosed
            102, // ReceivedFin
            103, // SentFin
            106, // ConnectionAborted
            109, // ConnectionTimedOut (idle)
            201, // FrameTooLarge
            602, // ProxyHeaderRejected (untrusted peer)
            700, // TlsHandshakeCompleted (server)
            710, // TlsHandshakeCompleted (client)
            711, // TlsHandshakeFailed (client: the certificate is not for that name)
        ]);
        scenario.Logs.GetSnapshot().Should().NotContain(r => r.Id.Id == 0, "every event has its fixed ID");
    }

    [Fact]
    public async Task ServerConnection_HandlerAndFramingEvents_CarryTheConnectionIdScope()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.CloseEachWayAsync(ct);

        var records = scenario.Logs.GetSnapshot();
        foreach (var command in "grafp")
        {
            var id = scenario.ServerConnectionIds[command];
            var handling = records.Single(r => r.Id.Id == 9001 && Equals(r.GetStructuredStateValue("Command"), command.ToString()));
            ScopeOf(handling).Should().Be(id, "the handler of command {0} runs in its connection's scope", command);
        }

        var pId = scenario.ServerConnectionIds['p'];
        ScopeOf(records.Single(r => r.Id.Id == 201)).Should().Be(pId, "the framing event of the oversize frame names its connection");
        ScopeOf(records.Single(r => r.Id.Id == 10)).Should().Be(pId, "the server logs the protocol error inside the scope");
        ScopeOf(records.Single(r => r.Id.Id == 5)).Should().Be(scenario.ServerConnectionIds['f']);
    }

    private static string? ScopeOf(FakeLogRecord record)
        => record.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>()
            .SelectMany(scope => scope)
            .Where(pair => pair.Key == "ConnectionId")
            .Select(pair => pair.Value as string)
            .SingleOrDefault();
}
