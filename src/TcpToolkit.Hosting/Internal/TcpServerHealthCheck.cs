using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TcpToolkit.Hosting.Internal;

/// <summary>
/// The listener's health: Healthy while the server listens and every accept loop runs; Degraded when the open
/// connections reach a share of <c>MaxConnections</c> (new ones will soon be refused); the registration's failure
/// status (Unhealthy by default) before the start, from the stop on, after a failed start, or once an accept loop died.
/// </summary>
internal sealed class TcpServerHealthCheck(HostedTcpServer server, double degradedConnectionRatio) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Registration.FailureStatus;
        var tcp = server.Server;
        var state = server.State;
        if (state != HostedTcpServerState.Listening || tcp is null)
        {
            return Task.FromResult(new HealthCheckResult(failure, $"TCP server {server.Name} is not listening ({Describe(state)})."));
        }

        var connections = tcp.ConnectionCount;
        var max = server.MaxConnections;
        var data = new Dictionary<string, object>
        {
            ["endpoints"] = string.Join(", ", tcp.LocalEndPoints),
            ["connections"] = connections,
            ["rejected_connections"] = tcp.RejectedConnectionCount,
        };
        if (max is { } limit)
        {
            data["max_connections"] = limit;
        }

        if (tcp.AcceptLoopFault is { } fault)
        {
            return Task.FromResult(new HealthCheckResult(failure, $"TCP server {server.Name} no longer accepts connections: an accept loop died.", fault, data));
        }

        if (max is { } maxConnections && connections >= Math.Ceiling(maxConnections * degradedConnectionRatio))
        {
            return Task.FromResult(HealthCheckResult.Degraded($"TCP server {server.Name} has {connections} of at most {maxConnections} connections open.", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"TCP server {server.Name} is listening on {data["endpoints"]}.", data));
    }

    private static string Describe(HostedTcpServerState state) => state switch
    {
        HostedTcpServerState.NotStarted or HostedTcpServerState.Starting => "not started",
        HostedTcpServerState.StartFailed => "its start failed",
        _ => "stopped",
    };
}
