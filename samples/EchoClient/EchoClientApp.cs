using System.Net.Sockets;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.Samples.EchoClient;

/// <summary>
/// The guide's echo client (echo-client.py) on TcpToolkit: connects, sends <c>Hello, world</c>, receives once
/// (one <c>recv(1024)</c>, as the guide), closes first with FIN, and prints <c>Received b'Hello, world'</c>.
/// </summary>
public static class EchoClientApp
{
    /// <summary>Usage line.</summary>
    public const string Usage = "Usage: EchoClient [--host 127.0.0.1] [--port 65432]";

    /// <summary>Runs the client once.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where the guide's line is printed.</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <returns>The exit code: 0, or 1 when the connection fails.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, CancellationToken cancellationToken)
    {
        var parsed = SampleArgs.Parse(args);
        if (parsed.Positional.Count > 0)
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        var host = parsed.Get("--host", "127.0.0.1");
        var port = parsed.GetInt("--port", 65432);

        await using var client = new TcpClient();
        var attempt = await client.TryConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        if (!attempt.IsConnected)
        {
            var message = attempt.SocketError == SocketError.ConnectionRefused
                ? "ConnectionRefusedError: [Errno 111] Connection refused"
                : $"Could not connect to {GuideFormat.Address(host, port)}: {attempt.SocketError}";
            await stdout.WriteLineAsync(message).ConfigureAwait(false);
            return 1;
        }

        var data = new byte[1024];
        int received;
        await using (var connection = attempt.Connection)
        {
            await connection.SendAsync("Hello, world"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            received = await connection.ReceiveAsync(data, cancellationToken).ConfigureAwait(false);
        }

        // Printed after the close, like the guide (the print follows the with-block).
        await stdout.WriteLineAsync("Received " + GuideFormat.Bytes(data.AsSpan(0, received))).ConfigureAwait(false);
        return 0;
    }
}
