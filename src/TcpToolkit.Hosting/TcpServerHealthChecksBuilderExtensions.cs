using Microsoft.Extensions.Diagnostics.HealthChecks;
using TcpToolkit.Hosting;
using TcpToolkit.Hosting.Internal;

// The .NET convention for health check registrations: beside AddHealthChecks and AddCheck.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks for TcpToolkit servers.</summary>
public static class TcpServerHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check of a hosted TCP server's listener: Healthy while it listens; Degraded when its open
    /// connections reach <paramref name="degradedConnectionRatio"/> of <c>MaxConnections</c>; <paramref name="failureStatus"/>
    /// (Unhealthy by default) before the host started it, once it stops, after a failed start, or when an accept loop
    /// died. The result's data has the endpoints and the connection counts.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="serverName">The server's name, as given to <c>AddTcpServer</c>.</param>
    /// <param name="name">The check's name; defaults to <paramref name="serverName"/>.</param>
    /// <param name="degradedConnectionRatio">The share of <c>MaxConnections</c> from which the server is Degraded, above 0 and at most 1. Defaults to 0.9.</param>
    /// <param name="failureStatus">The status reported when the listener is down. Defaults to <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (such as <c>ready</c>, <c>live</c>).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddTcpServer(
        this IHealthChecksBuilder builder,
        string serverName = HostedTcpServer.DefaultName,
        string? name = null,
        double degradedConnectionRatio = 0.9,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(serverName);
        if (!(degradedConnectionRatio > 0 && degradedConnectionRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(degradedConnectionRatio), degradedConnectionRatio, "Must be above 0 and at most 1.");
        }

        return builder.Add(new HealthCheckRegistration(
            name ?? serverName,
            services => new TcpServerHealthCheck(services.GetRequiredKeyedService<HostedTcpServer>(serverName), degradedConnectionRatio),
            failureStatus,
            tags));
    }
}
