using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using TcpToolkit.Messaging;

namespace TcpToolkit.Samples.KeyValueClient;

/// <summary>
/// Load client for the key-value server: runs N requests (alternating <c>SET k v</c> and <c>GET k</c> over 1,000
/// keys) with C in flight on one resilient <see cref="MessageClient"/>. A request that fails because the connection
/// dropped is retried (GET and SET are idempotent), so the run rides through a server restart. Prints one line:
/// <c>ok=&lt;n&gt; failed=&lt;n&gt; reconnects=&lt;n&gt; p50_us=&lt;n&gt; p99_us=&lt;n&gt;</c> (latency per request, retries included).
/// </summary>
public static class KeyValueClientApp
{
    /// <summary>Usage line.</summary>
    public const string Usage = "Usage: KeyValueClient <host> <port> [--requests N] [--concurrency C] [--verbose]";

    private const int MaxAttempts = 100;

    /// <summary>Runs the client.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where the result line goes.</param>
    /// <param name="completed">Called with the number of finished requests after each one (tests use it to restart the server mid-run).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>0 when every request succeeded, 2 when some failed, 1 for bad arguments.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, Action<int>? completed, CancellationToken cancellationToken)
    {
        var parsed = SampleArgs.Parse(args, "--verbose");
        if (parsed.Positional.Count != 2 || !int.TryParse(parsed.Positional[1], CultureInfo.InvariantCulture, out var port))
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        var host = parsed.Positional[0];
        var requests = parsed.GetInt("--requests", 10_000);
        var concurrency = Math.Clamp(parsed.GetInt("--concurrency", 16), 1, Math.Max(1, requests));
        EndPoint endPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

        using var loggerFactory = LoggerFactory.Create(builder =>
        {
            if (parsed.Has("--verbose"))
            {
                builder.AddSimpleConsole().SetMinimumLevel(LogLevel.Information);
            }
        });
        await using var client = new MessageClient(endPoint, new MessageClientOptions
        {
            MaxInFlightRequests = concurrency,
            RequestTimeout = TimeSpan.FromSeconds(10),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromSeconds(2),
            HeartbeatInterval = TimeSpan.FromSeconds(5),
            HeartbeatTimeout = TimeSpan.FromSeconds(5),
            Transport = { LoggerFactory = loggerFactory }, // the client's one logger factory, messaging and transport events
        });
        await client.StartAsync(cancellationToken).ConfigureAwait(false);

        var latencies = new long[requests];
        var next = -1;
        var ok = 0;
        var failed = 0;
        var done = 0;
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(
                async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < requests)
                    {
                        var command = i % 2 == 0
                            ? string.Create(CultureInfo.InvariantCulture, $"SET key{i / 2 % 1000} value{i}")
                            : string.Create(CultureInfo.InvariantCulture, $"GET key{i / 2 % 1000}");
                        var payload = Encoding.UTF8.GetBytes(command);
                        var start = Stopwatch.GetTimestamp();
                        if (await SendWithRetryAsync(client, payload, cancellationToken).ConfigureAwait(false))
                        {
                            Interlocked.Increment(ref ok);
                        }
                        else
                        {
                            Interlocked.Increment(ref failed);
                        }

                        latencies[i] = (long)Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                        completed?.Invoke(Interlocked.Increment(ref done));
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        Array.Sort(latencies);
        await stdout.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"ok={ok} failed={failed} reconnects={client.ReconnectCount} p50_us={Percentile(latencies, 0.50)} p99_us={Percentile(latencies, 0.99)}")).ConfigureAwait(false);
        return failed == 0 ? 0 : 2;
    }

    private static async Task<bool> SendWithRetryAsync(MessageClient client, byte[] payload, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var reply = await client.SendRequestAsync(payload, cancellationToken).ConfigureAwait(false);
                return reply.Memory.Span.StartsWith("OK"u8) || reply.Memory.Span.SequenceEqual("NOT_FOUND"u8);
            }
            catch (Exception ex) when (ex is ConnectionLostException or TimeoutException && attempt < MaxAttempts && client.State != MessageClientState.Closed)
            {
                // The connection dropped (or the server was away) before the reply: GET and SET are idempotent, send again.
                // The next attempt waits for the reconnect inside SendRequestAsync.
            }
            catch (Exception ex) when (ex is ConnectionLostException or TimeoutException or RemoteHandlerException)
            {
                return false;
            }
        }
    }

    private static long Percentile(long[] sorted, double p)
        => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
