using TcpToolkit.Transport;

namespace TcpToolkit.Samples.MultiConnClient;

/// <summary>
/// The guide's multi-connection client (multiconn-client.py) on TcpToolkit: opens N connections, sends the guide's two
/// 22-byte messages on each, and closes each one gracefully (FIN, never RST) once its 44 bytes have come back.
/// </summary>
public static class MultiConnClientApp
{
    /// <summary>Usage line, as the guide prints it.</summary>
    public const string Usage = "Usage: MultiConnClient <host> <port> <num_connections>";

    private static readonly byte[][] s_messages = ["Message 1 from client."u8.ToArray(), "Message 2 from client."u8.ToArray()];

    /// <summary>Runs the client.</summary>
    /// <param name="args">The command line: host, port and number of connections.</param>
    /// <param name="stdout">Where the guide's lines go.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The exit code: 0, or 1 for a usage error or a failed connection.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, CancellationToken cancellationToken)
    {
        if (args.Length != 3 || !int.TryParse(args[1], out var port) || !int.TryParse(args[2], out var count) || count < 0)
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        var host = args[0];
        var total = s_messages.Sum(m => m.Length);
        await using var client = new TcpClient();

        // Like the guide: start every connection first, then run them all at once.
        var connections = new List<(int Id, Task<ConnectResult> Attempt)>();
        for (var id = 1; id <= count; id++)
        {
            await stdout.WriteLineAsync($"Starting connection {id} to {GuideFormat.Address(host, port)}").ConfigureAwait(false);
            connections.Add((id, client.TryConnectAsync(host, port, cancellationToken)));
        }

        var results = await Task.WhenAll(connections.Select(c => RunConnectionAsync(c.Id, c.Attempt, total, stdout, cancellationToken))).ConfigureAwait(false);
        return results.All(ok => ok) ? 0 : 1;
    }

    private static async Task<bool> RunConnectionAsync(int id, Task<ConnectResult> attempt, int total, TextWriter stdout, CancellationToken cancellationToken)
    {
        var result = await attempt.ConfigureAwait(false);
        if (!result.IsConnected)
        {
            await stdout.WriteLineAsync($"Connection {id} failed: {GuideFrames.Describe(result.SocketError)}").ConfigureAwait(false);
            return false;
        }

        await using var connection = result.Connection;

        // One message per send, as the guide sends one per writable event; they may coalesce on the wire.
        foreach (var message in s_messages)
        {
            await stdout.WriteLineAsync($"Sending {GuideFormat.Bytes(message)} to connection {id}").ConfigureAwait(false);
            await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }

        var received = 0;
        var buffer = new byte[1024];
        while (received < total)
        {
            var read = await connection.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            await stdout.WriteLineAsync($"Received {GuideFormat.Bytes(buffer.AsSpan(0, read))} from connection {id}").ConfigureAwait(false);
            received += read;
        }

        await stdout.WriteLineAsync($"Closing connection {id}").ConfigureAwait(false);

        // Disposal closes gracefully: FIN, which the guide's server needs (an RST would crash it).
        return true;
    }
}
