using TcpToolkit.Diagnostics;

// OpenTelemetry's convention for instrumentation: found beside the builder's own methods.
namespace OpenTelemetry.Trace;

/// <summary>Adds TcpToolkit's spans to an OpenTelemetry tracer provider.</summary>
public static class TcpToolkitTracerProviderBuilderExtensions
{
    /// <summary>
    /// Listens to the <c>TcpToolkit</c> activity source (<see cref="TcpToolkitTelemetry.ActivitySourceName"/>): the
    /// client and server spans of request/response exchanges, with W3C trace context carried between them.
    /// </summary>
    /// <param name="builder">The tracer provider builder (<c>services.AddOpenTelemetry().WithTracing(t =&gt; ...)</c>).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static TracerProviderBuilder AddTcpToolkitInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(TcpToolkitTelemetry.ActivitySourceName);
    }
}
