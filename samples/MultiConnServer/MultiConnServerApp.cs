using System.Buffers;
using System.Net;
using TcpToolkit.Connections;

namespace TcpToolkit.Samples.MultiConnServer;

/// <summary>
/// The guide's multi-connection server (multiconn-server.py) on TcpToolkit: many clients at once, every byte echoed,
/// never the first to close. The guide's selector loop becomes one async handler per connection. Unlike the guide,
/// a client that resets is logged and closed while the server keeps serving the others.
/// </summary>
public static class MultiConnServerApp
{
    /// <summary>Usage line, as the guide prints it.</summary>
    public const string Usage = "Usage: MultiConnServer <host> <port>";

    // The guide reads with recv(1024); each "Echoing" line shows at most that much, so the output reads the same.
    private const int GuideRecvSize = 1024;

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires (Ctrl+C in the program).</summary>
    /// <param name="args">The command line: host and port.</param>
    /// <param name="stdout">Where the guide's lines go.</param>
    /// <param name="listening">Called with the bound endpoint (tests use port 0).</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>The exit code.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken)
        => GuideServerHost.RunAsync(args, Usage, stdout, listening, (connection, stopping) => ServeAsync(connection, stdout, stopping), cancellationToken);

    private static async Task ServeAsync(Connection connection, TextWriter stdout, CancellationToken stopping)
    {
        var peer = GuideFormat.Address(connection.RemoteEndPoint);
        await stdout.WriteLineAsync("Accepted connection from " + peer).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var result = await connection.Input.ReadAsync(stopping).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (!buffer.IsEmpty)
                {
                    var piece = buffer.Slice(0, Math.Min(buffer.Length, GuideRecvSize));
                    await stdout.WriteLineAsync($"Echoing {GuideFormat.Bytes(piece.ToArray())} to {peer}").ConfigureAwait(false);
                    foreach (var segment in piece)
                    {
                        connection.Output.Write(segment.Span);
                    }

                    buffer = buffer.Slice(piece.End);
                }

                connection.Input.AdvanceTo(result.Buffer.End);
                await connection.Output.FlushAsync(stopping).ConfigureAwait(false);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (ConnectionResetException)
        {
            // The guide's server dies here (ConnectionResetError is uncaught); this one closes that connection only.
            await stdout.WriteLineAsync($"Connection reset by {peer}").ConfigureAwait(false);
        }

        await stdout.WriteLineAsync("Closing connection to " + peer).ConfigureAwait(false);
    }
}
