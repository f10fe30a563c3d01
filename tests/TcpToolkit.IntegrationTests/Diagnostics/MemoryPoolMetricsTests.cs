using Microsoft.Extensions.Time.Testing;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>The <c>tcptoolkit.memory_pool.*</c> instruments of a server's pinned-block pool, its eviction on a fake clock.</summary>
public sealed class MemoryPoolMetricsTests
{
    [Fact]
    public async Task MemoryPool_AfterTrafficAndTwoEvictionIntervals_AllocatedPooledAndEvicted()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        var time = new FakeTimeProvider();
        var server = await scenario.StartServerAsync(TestServers.EchoAsync, options => options.TimeProvider = time);
        var owner = ("tcptoolkit.memory_pool.owner", (object?)"server");
        var before = scenario.Recorder.Observed(Names.PoolAllocated, owner);

        await using (var connection = await scenario.Client.ConnectAsync(server.LocalEndPoint, ct))
        {
            (await EchoAsync(connection, ct)).Should().Be(256 * 1024);
        }

        await scenario.Recorder.WaitForAsync(Names.ServerConnectionDuration, m => m.Has(("server.port", ((System.Net.IPEndPoint)server.LocalEndPoint).Port))).WaitAsync(ct);
        var allocated = scenario.Recorder.Observed(Names.PoolAllocated, owner) - before;
        allocated.Should().BeGreaterThanOrEqualTo(64 * 1024, "the echo needed at least one 64 KiB block");
        var pooled = scenario.Recorder.Observed(Names.PoolPooled, owner);
        pooled.Should().BeGreaterThan(0, "the closed connection's blocks went back to the pool");
        scenario.Recorder.Observed(Names.PoolEvicted, owner).Should().Be(0);
        (pooled + scenario.Recorder.Observed(Names.PoolRented, owner)).Should().BeLessThanOrEqualTo(scenario.Recorder.Observed(Names.PoolAllocated, owner));

        // The first interval notes how many blocks stayed free; the second drops them.
        time.Advance(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));

        scenario.Recorder.Observed(Names.PoolEvicted, owner).Should().BeGreaterThan(0);
        scenario.Recorder.Observed(Names.PoolPooled, owner).Should().BeLessThan(pooled);
        scenario.Recorder.Observed(Names.PoolAllocated, ("tcptoolkit.memory_pool.owner", "client")).Should().BeGreaterThan(0, "clients share the process-wide client pool");
    }

    private static async Task<long> EchoAsync(TcpToolkit.Connections.Connection connection, CancellationToken ct)
        => (await Tls.TlsTesting.EchoAsync(connection, new byte[256 * 1024], ct)).LongLength;
}
