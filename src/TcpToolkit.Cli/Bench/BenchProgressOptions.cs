namespace TcpToolkit.Cli.Bench;

/// <summary>Where and how <c>tcptk bench</c> shows its live progress.</summary>
/// <param name="Writer">Receives the progress (tcptk passes stderr, so stdout keeps only the result).</param>
/// <param name="InPlace">
/// <see langword="true"/> on a terminal: one line rewritten in place (carriage return), ended when the run ends;
/// <see langword="false"/> when redirected: a plain line per <see cref="Interval"/>.
/// </param>
/// <param name="Width">The terminal's width: the in-place line is cut to one character less, so it never wraps.</param>
internal sealed record BenchProgressOptions(TextWriter Writer, bool InPlace, int Width = 80)
{
    /// <summary>Gets how often the counters are sampled and a line is printed. Defaults to one second.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
}
