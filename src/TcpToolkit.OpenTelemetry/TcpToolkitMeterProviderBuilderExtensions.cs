using TcpToolkit.Diagnostics;

// OpenTelemetry's convention for instrumentation: found beside the builder's own methods.
namespace OpenTelemetry.Metrics;

/// <summary>Adds TcpToolkit's metrics to an OpenTelemetry meter provider.</summary>
public static class TcpToolkitMeterProviderBuilderExtensions
{
    /// <summary>
    /// Listens to the <c>TcpToolkit</c> meter (<see cref="TcpToolkitTelemetry.MeterName"/>): every instrument of the
    /// TcpToolkit packages (connections, bytes, frames, TLS handshakes, requests), as the repository README lists them.
    /// </summary>
    /// <param name="builder">The meter provider builder (<c>services.AddOpenTelemetry().WithMetrics(m =&gt; ...)</c>).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MeterProviderBuilder AddTcpToolkitInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(TcpToolkitTelemetry.MeterName);
    }
}
