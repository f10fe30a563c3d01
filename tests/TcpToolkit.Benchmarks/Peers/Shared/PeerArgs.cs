using System.Globalization;

namespace TcpToolkit.Benchmarks.Peers;

/// <summary>The peer servers' command line: <c>--port N --framing raw|length32</c>.</summary>
internal sealed record PeerArgs(int Port, bool Length32)
{
    /// <summary>Frames above this are a protocol error, as in TcpToolkit's decoder default (1 MiB).</summary>
    public const int MaxFrameLength = 1024 * 1024;

    public static PeerArgs Parse(string[] args)
    {
        var port = 5000;
        var framing = "raw";
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--port":
                    port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--framing":
                    framing = args[i + 1];
                    break;
                default:
                    throw new ArgumentException("Usage: --port N --framing raw|length32", nameof(args));
            }
        }

        return framing switch
        {
            "raw" => new PeerArgs(port, Length32: false),
            "length32" => new PeerArgs(port, Length32: true),
            _ => throw new ArgumentException("--framing must be raw or length32", nameof(args)),
        };
    }
}
