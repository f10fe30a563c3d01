using System.Diagnostics;

namespace TcpToolkit.Diagnostics.Internal;

/// <summary>The core package's <see cref="ActivitySource"/>, named <see cref="TcpToolkitTelemetry.ActivitySourceName"/>.</summary>
internal static class TcpToolkitActivity
{
    /// <summary>
    /// The source of the client's connect spans. <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
    /// returns <see langword="null"/> (and costs a field read) while nobody listens.
    /// </summary>
    public static readonly ActivitySource Source = new(TcpToolkitTelemetry.ActivitySourceName, TcpToolkitMetrics.Version);
}
