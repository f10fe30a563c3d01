using System.Net.Sockets;
using TcpToolkit.Tls;
using TcpToolkit.Transport;
using TcpToolkit.Cli.Bench;

namespace TcpToolkit.Cli;

/// <summary><c>tcptk bench</c>: runs the load with its progress, then prints the report and the latency histogram, or the JSON line.</summary>
internal static class BenchCommand
{
    /// <returns>0, or 2 when an echo was wrong or a connection failed, 1 when the server cannot be reached or the TLS handshake fails.</returns>
    public static async Task<int> RunAsync(BenchSettings settings, BenchOutput output, CancellationToken cancellationToken)
    {
        BenchResult result;
        try
        {
            result = await BenchRunner.RunAsync(settings, output.Progress, output.TimeProvider, cancellationToken);
        }
        catch (Exception ex) when (ex is TcpConnectException or SocketException or TlsHandshakeException)
        {
            await output.Stderr.WriteLineAsync("tcptk bench: " + ex.Message);
            return 1;
        }

        var stdout = output.Stdout;
        if (output.Json)
        {
            await stdout.WriteLineAsync(result.ToJson());
        }
        else
        {
            // The report's lines are unchanged; the histogram follows them after a blank line.
            await stdout.WriteLineAsync(result.ToReport());
            await stdout.WriteAsync(LatencyChart.Draw(result.Latency, output.Chart));
        }

        await stdout.FlushAsync(CancellationToken.None);
        return result.Errors.Count == 0 ? 0 : 2;
    }
}
