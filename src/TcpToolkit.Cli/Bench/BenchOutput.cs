namespace TcpToolkit.Cli.Bench;

/// <summary>Where <c>tcptk bench</c> writes, and in which form.</summary>
/// <param name="Stdout">The result: the report and the histogram, or the JSON line.</param>
/// <param name="Stderr">The progress, and why a run could not start.</param>
internal sealed record BenchOutput(TextWriter Stdout, TextWriter Stderr)
{
    /// <summary>Gets a value indicating whether the result is the one-line JSON summary (no histogram) instead of the report.</summary>
    public bool Json { get; init; }

    /// <summary>Gets how the live progress is shown on <see cref="Stderr"/>, or <see langword="null"/> for none.</summary>
    public BenchProgressOptions? Progress { get; init; }

    /// <summary>Gets how the latency histogram under the report is drawn.</summary>
    public ChartStyle Chart { get; init; } = ChartStyle.Plain;

    /// <summary>Gets the clock of the run and of its progress. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
