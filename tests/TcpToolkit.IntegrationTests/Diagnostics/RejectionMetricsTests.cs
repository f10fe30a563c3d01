namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary><c>tcptoolkit.server.rejected_connections</c> by reason, after the scenario's rejections.</summary>
public sealed class RejectionMetricsTests
{
    [Fact]
    public async Task RejectedConnections_FullServerAndUntrustedProxyPeer_CountedByReasonWithEndpoint()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.RejectAsync(ct);

        var rejected = scenario.Recorder.Recorded(Names.RejectedConnections);
        rejected.Should().HaveCount(2);
        rejected.All(m => m.Value == 1 && m.Has(("network.transport", "tcp"), ("server.address", "127.0.0.1")) && m.Tags.ContainsKey("server.port")).Should().BeTrue();
        rejected.Select(m => m["error.type"]).Should().BeEquivalentTo(["connection_limit", "proxy_untrusted"]);

        // The PROXY middleware's refusal happens on an open connection, which then closes as a middleware error.
        await scenario.WaitForServerClosesAsync("middleware_error", 1, ct);
    }
}
