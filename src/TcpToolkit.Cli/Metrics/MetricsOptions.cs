namespace TcpToolkit.Cli.Metrics;

/// <summary>Where <c>echo-server --metrics</c> prints the server's instruments, and how often.</summary>
/// <param name="Writer">Receives a block of lines per interval (tcptk passes stdout).</param>
internal sealed record MetricsOptions(TextWriter Writer)
{
    /// <summary>Gets the interval between two blocks, and of the rates and histograms in them. Defaults to one second.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the clock of the interval. Defaults to <see cref="TimeProvider.System"/>; tests use a fake.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
