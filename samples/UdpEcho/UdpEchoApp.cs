using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TcpToolkit.Datagrams;

namespace TcpToolkit.Samples.UdpEcho;

/// <summary>
/// The guide's echo pair over UDP instead of TCP. <c>server</c> binds, prints <c>Listening on (host, port)</c> and
/// sends every datagram back to whoever sent it, one line per datagram, until Ctrl+C: there is no connection to
/// accept or close. <c>client</c> sends one datagram and prints <c>Received &lt;text&gt;</c> of the reply; since UDP
/// neither retransmits nor reports a lost datagram, it gives up after a timeout (2 s by default) and exits with 1.
/// </summary>
public static class UdpEchoApp
{
    /// <summary>Usage lines.</summary>
    public const string Usage = "Usage: UdpEcho server [--host 127.0.0.1] [--port 65432]" + "\n"
        + "       UdpEcho client [--host 127.0.0.1] [--port 65432] [--timeout-ms 2000] [message (default: Hello, world)]";

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires, or the client once.</summary>
    /// <param name="args">The command line: <c>server</c> or <c>client</c>, then options.</param>
    /// <param name="stdout">Where the lines are printed.</param>
    /// <param name="listening">Server: called with the bound endpoint once it receives (tests use port 0).</param>
    /// <param name="cancellationToken">Stops the server (Ctrl+C), or abandons the client's wait.</param>
    /// <returns>The exit code: 0, or 1 for a usage error, a failed bind or no reply in time.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        var parsed = SampleArgs.Parse(args);
        var mode = parsed.Positional.Count > 0 ? parsed.Positional[0] : null;
        var host = parsed.Get("--host", "127.0.0.1");
        var port = parsed.GetInt("--port", 65432);
        switch (mode)
        {
            case "server" when parsed.Positional.Count == 1:
                return await ServeAsync(host, port, stdout, listening, cancellationToken).ConfigureAwait(false);
            case "client":
                var message = parsed.Positional.Count > 1 ? string.Join(' ', parsed.Positional.Skip(1)) : "Hello, world";
                var timeout = TimeSpan.FromMilliseconds(parsed.GetInt("--timeout-ms", 2000));
                return await AskAsync(host, port, message, timeout, stdout, cancellationToken).ConfigureAwait(false);
            default:
                await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
                return 1;
        }
    }

    private static async Task<int> ServeAsync(string host, int port, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        UdpEndpoint endpoint;
        try
        {
            endpoint = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Parse(host), port));
        }
        catch (UdpBindException ex)
        {
            await stdout.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        await using (endpoint.ConfigureAwait(false))
        {
            await stdout.WriteLineAsync("Listening on " + GuideFormat.Address(endpoint.LocalEndPoint)).ConfigureAwait(false);
            listening?.Invoke(endpoint.LocalEndPoint);
            try
            {
                await foreach (var datagram in endpoint.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    // Printed before the reply is sent: the payload lives in a pooled buffer only until the next read.
                    await stdout.WriteLineAsync($"Echoing {GuideFormat.Bytes(datagram.Payload.Span)} to {GuideFormat.Address(datagram.RemoteEndPoint)}").ConfigureAwait(false);
                    try
                    {
                        await endpoint.SendToAsync(datagram.Payload, datagram.RemoteEndPoint, cancellationToken).ConfigureAwait(false);
                    }
                    catch (SocketException ex)
                    {
                        // One unreachable sender must not stop the server for everyone else.
                        await stdout.WriteLineAsync($"Could not echo to {GuideFormat.Address(datagram.RemoteEndPoint)}: {ex.SocketErrorCode}").ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: the normal way to stop.
            }
        }

        return 0;
    }

    private static async Task<int> AskAsync(string host, int port, string message, TimeSpan timeout, TextWriter stdout, CancellationToken cancellationToken)
    {
        var address = IPAddress.TryParse(host, out var parsed)
            ? parsed
            : (await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false))[0];
        var server = new IPEndPoint(address, port);
        var any = address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

        var endpoint = UdpEndpoint.Bind(new IPEndPoint(any, 0));
        await using (endpoint.ConfigureAwait(false))
        {
            // Connected mode: only the server's reply is delivered to us; nothing is sent to "connect".
            endpoint.Connect(server);
            await endpoint.SendAsync(Encoding.UTF8.GetBytes(message), cancellationToken).ConfigureAwait(false);

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout);
            try
            {
                await foreach (var reply in endpoint.ReadAllAsync(wait.Token).ConfigureAwait(false))
                {
                    await stdout.WriteLineAsync("Received " + Encoding.UTF8.GetString(reply.Payload.Span)).ConfigureAwait(false);
                    return 0;
                }
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var seconds = timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
                await stdout.WriteLineAsync($"No reply from {GuideFormat.Address(host, port)} within {seconds} s: UDP does not retransmit or report a lost datagram. Is the server running?").ConfigureAwait(false);
            }
        }

        return 1;
    }
}
