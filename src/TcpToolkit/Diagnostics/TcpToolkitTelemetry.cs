namespace TcpToolkit.Diagnostics;

/// <summary>
/// The names under which TcpToolkit publishes its telemetry, for listeners and exporters: one meter and one activity
/// source, both named <c>TcpToolkit</c> (e.g. <c>dotnet-counters monitor --counters TcpToolkit</c>, or OpenTelemetry's
/// <c>AddMeter(TcpToolkitTelemetry.MeterName)</c> and <c>AddSource(TcpToolkitTelemetry.ActivitySourceName)</c>).
/// </summary>
public static class TcpToolkitTelemetry
{
    /// <summary>The name of the meter every TcpToolkit package records its instruments on: <c>TcpToolkit</c>.</summary>
    public const string MeterName = "TcpToolkit";

    /// <summary>The name of the activity source of TcpToolkit's spans: <c>TcpToolkit</c>.</summary>
    public const string ActivitySourceName = "TcpToolkit";
}
