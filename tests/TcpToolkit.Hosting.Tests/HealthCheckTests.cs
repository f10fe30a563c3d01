using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TcpToolkit.Transport;

namespace TcpToolkit.Hosting.Tests;

/// <summary>The listener's health check through the health checks service, in every state of the server.</summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task CheckHealth_BeforeStartWhileListeningAndAfterStop_UnhealthyHealthyUnhealthy()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.BuildEcho(configure: builder => builder.Services.AddHealthChecks().AddTcpServer(tags: ["ready"]));

        var before = await CheckAsync(host, ct);
        await host.StartAsync(ct);
        var listening = await CheckAsync(host, ct);
        await host.StopAsync(ct);
        var after = await CheckAsync(host, ct);

        before.Status.Should().Be(HealthStatus.Unhealthy);
        before.Description.Should().Contain("not listening (not started)");
        listening.Status.Should().Be(HealthStatus.Healthy);
        listening.Description.Should().Contain("listening on 127.0.0.1:");
        listening.Data["connections"].Should().Be(0);
        listening.Tags.Should().Equal("ready");
        after.Status.Should().Be(HealthStatus.Unhealthy);
        after.Description.Should().Contain("not listening (stopped)");
    }

    [Fact]
    public async Task CheckHealth_ConnectionsNearMaxConnections_Degraded()
    {
        var ct = TestTimeouts.Token();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0", ["TcpServer:MaxConnections"] = "2" },
            server => server.UseHandler(async (connection, token) =>
            {
                entered.TrySetResult();
                await connection.Input.ReadAsync(token);
            }),
            builder => builder.Services.AddHealthChecks().AddTcpServer(degradedConnectionRatio: 0.5));
        await host.StartAsync(ct);

        (await CheckAsync(host, ct)).Status.Should().Be(HealthStatus.Healthy);
        using var client = await TestHosts.ConnectAsync(host.TcpServer().LocalEndPoints[0], ct);
        await entered.Task.WaitAsync(ct);
        var busy = await CheckAsync(host, ct);

        busy.Status.Should().Be(HealthStatus.Degraded);
        busy.Description.Should().Contain("1 of at most 2 connections");
        busy.Data["max_connections"].Should().Be(2);
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task CheckHealth_AcceptLoopDied_UnhealthyWithTheException()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.BuildEcho(configure: builder =>
        {
            builder.Services.AddHealthChecks().AddTcpServer(name: "listener", failureStatus: HealthStatus.Degraded);
            builder.Logging.AddFakeLogging();
        });
        await host.StartAsync(ct);
        var logs = host.Services.GetFakeLogCollector();
        var died = WaitForEventAsync(logs, eventId: 4, ct);

        // Fault injection without a production seam (as the core's lifecycle tests do): close the listening socket
        // under the accept loop, which is neither a transient accept error nor a stop.
        var listeners = (List<Socket>)typeof(TcpServer)
            .GetField("_listeners", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(host.TcpServer().Server)!;
        listeners[0].Dispose();
        await died;
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(ct);

        var entry = report.Entries["listener"];
        entry.Status.Should().Be(HealthStatus.Degraded, "the registration's failure status");
        entry.Description.Should().Contain("an accept loop died");
        entry.Exception.Should().NotBeNull();
        var stop = () => host.StopAsync(ct);
        await stop.Should().ThrowAsync<IOException>("the host's stop reports the accept loop's death too");
    }

    [Fact]
    public void AddTcpServer_RatioOutOfRange_Throws()
    {
        var checks = new ServiceCollection().AddHealthChecks();

        var act = () => checks.AddTcpServer(degradedConnectionRatio: 0);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    private static async Task<HealthReportEntry> CheckAsync(IHost host, CancellationToken ct)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(ct);
        return report.Entries[HostedTcpServer.DefaultName];
    }

    private static async Task WaitForEventAsync(FakeLogCollector logs, int eventId, CancellationToken ct)
    {
        // The collector streams records as they are written: a signal, not a poll.
        await foreach (var record in logs.GetLogsAsync(ct))
        {
            if (record.Id.Id == eventId)
            {
                return;
            }
        }
    }
}
