using System.Globalization;

namespace TcpToolkit.Benchmarks.Peers;

/// <summary>
/// The peer servers' command line: <c>--port N --framing raw|length32</c>, <c>--inline</c> for the peers that
/// have an inline mode (Kestrel's <c>UnsafePreferInlineScheduling</c>), and <c>--tls</c> for the peers that serve TLS
/// (Kestrel's <c>UseHttps</c>).
/// </summary>
internal sealed record PeerArgs(int Port, bool Length32, bool Inline, bool Tls = false)
{
    /// <summary>Frames above this are a protocol error, as in TcpToolkit's decoder default (1 MiB).</summary>
    public const int MaxFrameLength = 1024 * 1024;

    public static PeerArgs Parse(string[] args, bool acceptsInline = false, bool acceptsTls = false)
    {
        var usage = "Usage: --port N --framing raw|length32" + (acceptsInline ? " [--inline]" : "") + (acceptsTls ? " [--tls]" : "");
        var port = 5000;
        var framing = "raw";
        var inline = false;
        var tls = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Length:
                    port = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--framing" when i + 1 < args.Length:
                    framing = args[++i];
                    break;
                case "--inline" when acceptsInline:
                    inline = true;
                    break;
                case "--tls" when acceptsTls:
                    tls = true;
                    break;
                default:
                    // A peer that silently ignored an option would be measured in a mode nobody asked for.
                    throw new ArgumentException(usage, nameof(args));
            }
        }

        return framing switch
        {
            "raw" => new PeerArgs(port, Length32: false, inline, tls),
            "length32" => new PeerArgs(port, Length32: true, inline, tls),
            _ => throw new ArgumentException("--framing must be raw or length32", nameof(args)),
        };
    }
}
