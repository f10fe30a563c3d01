using System.Text;

namespace TcpToolkit.Cli;

/// <summary>
/// What tcptk's output streams are: a terminal gets a progress line rewritten in place and a histogram drawn with
/// block characters to its width; redirected output gets plain lines and ASCII, 80 columns.
/// </summary>
/// <param name="StdoutIsTerminal">Whether stdout is a terminal.</param>
/// <param name="StderrIsTerminal">Whether stderr is a terminal.</param>
/// <param name="Width">The terminal's width in characters (80 when there is none).</param>
/// <param name="Unicode">Whether the terminal's encoding is UTF-8 (block characters can be drawn).</param>
internal sealed record Terminal(bool StdoutIsTerminal, bool StderrIsTerminal, int Width, bool Unicode)
{
    private const int DefaultWidth = 80;

    /// <summary>Gets the description of redirected streams (tests run the commands so).</summary>
    public static Terminal Redirected { get; } = new(false, false, DefaultWidth, false);

    /// <summary>Looks at the process's console.</summary>
    public static Terminal Detect()
    {
        var stdout = !Console.IsOutputRedirected;
        var stderr = !Console.IsErrorRedirected;
        var width = DefaultWidth;
        if (stdout || stderr)
        {
            try
            {
                width = Console.WindowWidth > 0 ? Console.WindowWidth : DefaultWidth;
            }
            catch (IOException)
            {
                // A terminal that does not report its size (some CI pseudo-terminals): keep 80 columns.
                width = DefaultWidth;
            }
        }

        return new Terminal(stdout, stderr, width, Console.OutputEncoding.CodePage == Encoding.UTF8.CodePage);
    }
}
