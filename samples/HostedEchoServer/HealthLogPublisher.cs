using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.Samples.HostedEchoServer;

/// <summary>
/// Where a web application would map <c>/healthz</c>, this console host logs the health report whenever its status
/// changes (the health checks package runs publishers periodically).
/// </summary>
internal sealed partial class HealthLogPublisher(ILogger<HealthLogPublisher> logger) : IHealthCheckPublisher
{
    private HealthStatus? _last;

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        if (report.Status != _last)
        {
            _last = report.Status;
            foreach (var (name, entry) in report.Entries)
            {
                Health(logger, name, entry.Status, entry.Description);
            }
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(2, LogLevel.Information, "Health of {Check}: {Status} ({Description})")]
    private static partial void Health(ILogger logger, string check, HealthStatus status, string? description);
}
