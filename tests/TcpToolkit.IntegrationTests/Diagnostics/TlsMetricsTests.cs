namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary><c>tls_handshake.duration</c> and <c>tls_handshake.active</c> on both sides, after the scenario's handshakes.</summary>
public sealed class TlsMetricsTests
{
    [Fact]
    public async Task TlsHandshake_AcceptedAndRefused_DurationsWithVersionOrErrorType()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.TlsHandshakesAsync(ct);

        var server = scenario.Recorder.Recorded(Names.ServerTlsHandshakeDuration);
        server.Should().HaveCount(3);
        server.All(m => m.Has(("network.transport", "tcp"), ("server.address", "127.0.0.1"))).Should().BeTrue();
        server.Count(m => m["error.type"] == null && m["tls.protocol.version"] != null).Should().BeGreaterThanOrEqualTo(1);
        server.Count(m => Equals(m["error.type"], "authentication_failed")).Should().Be(1, "plain text is no TLS record");

        // The client that refuses the certificate does so after its Finished: the server has usually completed, but
        // the client's reset can discard the Finished before the server reads it.
        server.Where(m => m["error.type"] != null).Select(m => m["error.type"]).Should().BeSubsetOf(["authentication_failed", "connection_closed"]);

        var client = scenario.Recorder.Recorded(Names.ClientTlsHandshakeDuration);
        client.Should().HaveCount(2);
        client.Should().ContainSingle(m => m["error.type"] == null).Which["tls.protocol.version"].Should().BeOneOf("1.2", "1.3");
        client.Should().ContainSingle(m => Equals(m["error.type"], "authentication_failed"), "the client does not trust the certificate for that name");

        scenario.Recorder.Recorded(Names.ServerTlsHandshakeActive).Should().HaveCount(6, "each handshake counts in and out");
        scenario.Recorder.Sum(Names.ServerTlsHandshakeActive).Should().Be(0);
        scenario.Recorder.Sum(Names.ClientTlsHandshakeActive).Should().Be(0);
    }
}
