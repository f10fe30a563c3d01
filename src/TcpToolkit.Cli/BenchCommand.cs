using System.Net.Sockets;
using TcpToolkit.Tls;
using TcpToolkit.Transport;
using TcpToolkit.Cli.Bench;

namespace TcpToolkit.Cli;

/// <summary><c>tcptk bench</c>: runs the load and prints the report or the JSON line.</summary>
internal static class BenchCommand
{
    /// <returns>0, or 2 when an echo was wrong or a connection failed, 1 when the server cannot be reached or the TLS handshake fails.</returns>
    public static async Task<int> RunAsync(BenchSettings settings, bool json, TextWriter stdout, TextWriter stderr, bool progress, CancellationToken cancellationToken)
    {
        BenchResult result;
        try
        {
            result = await BenchRunner.RunAsync(settings, progress ? stdout : null, cancellationToken);
        }
        catch (Exception ex) when (ex is TcpConnectException or SocketException or TlsHandshakeException)
        {
            await stderr.WriteLineAsync("tcptk bench: " + ex.Message);
            return 1;
        }

        await stdout.WriteLineAsync(json ? result.ToJson() : result.ToReport());
        await stdout.FlushAsync(CancellationToken.None);
        return result.Errors.Count == 0 ? 0 : 2;
    }
}
