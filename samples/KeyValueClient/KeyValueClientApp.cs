using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using TcpToolkit.Messaging;
using TcpToolkit.Samples.KeyValue;

namespace TcpToolkit.Samples.KeyValueClient;

/// <summary>
/// Load client for the key-value server: runs N typed requests (alternating "set" and "get" over 1,000 keys) with C in
/// flight on one resilient <see cref="MessageClient"/>. It retries only what the protocol says was not executed
/// (<see cref="RequestNotExecutedException"/>: the server went away before starting it), with exponential backoff and
/// jitter, so a graceful server restart loses nothing and nothing runs twice; any other failure counts as failed.
/// Prints one line: <c>ok=&lt;n&gt; failed=&lt;n&gt; retried=&lt;n&gt; reconnects=&lt;n&gt; p50_us=&lt;n&gt; p99_us=&lt;n&gt;</c>
/// (latency per request, retries included).
/// </summary>
public static class KeyValueClientApp
{
    /// <summary>Usage line.</summary>
    public const string Usage = "Usage: KeyValueClient <host> <port> [--requests N] [--concurrency C] [--verbose]";

    private const int MaxAttempts = 20;

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
            Serializer = new JsonMessageSerializer(KeyValueJson.Default),
            Transport = { LoggerFactory = loggerFactory }, // the client's one logger factory, messaging and transport events
        });
        await client.StartAsync(cancellationToken).ConfigureAwait(false);

        var latencies = new long[requests];
        var next = -1;
        var ok = 0;
        var failed = 0;
        var retried = 0;
        var done = 0;
        Exception? firstFailure = null;
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(
                async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < requests)
                    {
                        var key = string.Create(CultureInfo.InvariantCulture, $"key{i / 2 % 1000}");
                        var start = Stopwatch.GetTimestamp();
                        var outcome = await SendWithRetryAsync(client, i, key, cancellationToken).ConfigureAwait(false);
                        if (outcome.Failure is not null)
                        {
                            Interlocked.CompareExchange(ref firstFailure, outcome.Failure, null);
                        }

                        Interlocked.Add(ref retried, outcome.Retries);
                        Interlocked.Increment(ref outcome.Ok ? ref ok : ref failed);
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
            $"ok={ok} failed={failed} retried={retried} reconnects={client.ReconnectCount} p50_us={Percentile(latencies, 0.50)} p99_us={Percentile(latencies, 0.99)}")).ConfigureAwait(false);
        if (firstFailure is not null)
        {
            await stdout.WriteLineAsync("first failure: " + firstFailure.GetType().Name + ": " + firstFailure.Message).ConfigureAwait(false);
        }

        return failed == 0 ? 0 : 2;
    }

    private static async Task<(bool Ok, int Retries, Exception? Failure)> SendWithRetryAsync(MessageClient client, int i, string key, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var reply = i % 2 == 0
                    ? await client.SendRequestAsync<SetRequest, KeyValueReply>("set", new SetRequest(key, string.Create(CultureInfo.InvariantCulture, $"value{i}")), cancellationToken: cancellationToken).ConfigureAwait(false)
                    : await client.SendRequestAsync<GetRequest, KeyValueReply>("get", new GetRequest(key), cancellationToken: cancellationToken).ConfigureAwait(false);
                return (reply is not null, attempt, null);
            }
            catch (RequestNotExecutedException) when (attempt + 1 < MaxAttempts && client.State != MessageClientState.Closed)
            {
                // The server did not run it (it was going away): safe to send again, whatever the command. Back off a
                // little (equal jitter) so a restarting server is not hammered; the next attempt waits for the reconnect.
                var ceiling = Math.Min(1000, 10 << Math.Min(attempt, 7));
                await Task.Delay((ceiling / 2) + Random.Shared.Next(ceiling / 2), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RequestNotExecutedException or ConnectionLostException or TimeoutException or RemoteErrorException)
            {
                // Lost, timed out or refused: it may have run, so this sample does not guess; it reports the failure.
                return (false, attempt, ex);
            }
        }
    }

    private static long Percentile(long[] sorted, double p)
        => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
