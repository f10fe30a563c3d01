namespace TcpToolkit.Cli.Bench;

/// <summary>How the latency histogram is drawn.</summary>
/// <param name="Width">The characters a line may take (the terminal's width, or 80 when redirected).</param>
/// <param name="Unicode">Block characters (a terminal that speaks UTF-8), or plain ASCII (redirected output).</param>
internal sealed record ChartStyle(int Width, bool Unicode)
{
    /// <summary>Gets the style for redirected output: 80 columns of ASCII.</summary>
    public static ChartStyle Plain { get; } = new(80, Unicode: false);
}
