using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// <c>handshake-client --port N [--concurrency 16] [--duration 5] [--warmup 2]</c>: the client side of the TLS
/// handshake measurement, run by the harness as its own process pinned to the generator's core. Each of
/// <c>concurrency</c> loops repeats: connect to 127.0.0.1 → full TLS handshake with .NET's <see cref="SslStream"/>
/// (certificate validation skipped: the servers' certificates are throwaway test ones; session resumption off, so
/// every handshake is a full one) → one 32-byte echo round trip, checked → close_notify and FIN → wait for the
/// server's close. A cycle that completes inside the measured window counts as one handshake; its handshake time is
/// the <see cref="SslStream.AuthenticateAsClientAsync(SslClientAuthenticationOptions, CancellationToken)"/> call
/// (ClientHello to the server's Finished). Prints one JSON line at the end.
/// </summary>
internal static class HandshakeClient
{
    private const int PayloadSize = 32;

    /// <summary>One cycle may take this long; a slower one is counted as a timeout error.</summary>
    private static readonly TimeSpan CycleTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var port = 0;
        var concurrency = 16;
        var duration = 5.0;
        var warmUp = 2.0;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--port": port = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--duration": duration = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmUp = double.Parse(value, CultureInfo.InvariantCulture); break;
                default:
                    await Console.Error.WriteLineAsync("Usage: handshake-client --port N [--concurrency 16] [--duration 5] [--warmup 2]");
                    return 1;
            }
        }

        if (args.Length % 2 != 0 || port is <= 0 or > 65535 || concurrency < 1 || duration <= 0 || warmUp < 0)
        {
            await Console.Error.WriteLineAsync("handshake-client: --port and --concurrency must be positive, --duration above 0, --warmup at least 0 (each option takes a value).");
            return 1;
        }

        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var started = Stopwatch.GetTimestamp();
        var measureFrom = started + (long)(warmUp * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration * Stopwatch.Frequency);
        var loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => LoopAsync(endPoint, measureFrom, measureTo))).ToArray();
        var results = await Task.WhenAll(loops).ConfigureAwait(false);

        var times = results.SelectMany(r => r.HandshakeMicroseconds).Order().ToArray();
        var errors = new Dictionary<string, int>();
        foreach (var (kind, count) in results.SelectMany(r => r.Errors))
        {
            errors[kind] = errors.GetValueOrDefault(kind) + count;
        }

        var session = results.Select(r => r.Session).FirstOrDefault(s => s is not null);
        var summary = new Dictionary<string, object?>
        {
            ["handshakes"] = times.Length,
            ["seconds"] = duration,
            ["handshakesPerSec"] = Math.Round(times.Length / duration, 3),
            ["handshakeP50Ms"] = Math.Round(Percentile(times, 0.50) / 1000, 3),
            ["handshakeP99Ms"] = Math.Round(Percentile(times, 0.99) / 1000, 3),
            ["handshakeMaxMs"] = Math.Round((times.Length > 0 ? times[^1] : 0) / 1000, 3),
            ["session"] = session,
            ["errors"] = errors.Values.Sum(),
            ["errorKinds"] = errors,
        };
        Console.WriteLine(JsonSerializer.Serialize(summary));
        return 0;
    }

    /// <summary>Runs cycles until the measured window has passed; records the ones that complete inside it.</summary>
    private static async Task<LoopResult> LoopAsync(IPEndPoint endPoint, long measureFrom, long measureTo)
    {
        var result = new LoopResult();
        var payload = new byte[PayloadSize];
        var echo = new byte[PayloadSize];
        var sequence = 0;
        while (Stopwatch.GetTimestamp() < measureTo)
        {
            payload.AsSpan().Fill((byte)sequence++);
            using var timeout = new CancellationTokenSource(CycleTimeout);
            try
            {
                var handshake = await CycleAsync(endPoint, payload, echo, result, timeout.Token).ConfigureAwait(false);
                var end = Stopwatch.GetTimestamp();
                if (end >= measureFrom && end < measureTo)
                {
                    result.HandshakeMicroseconds.Add(handshake.TotalMicroseconds);
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException or InvalidDataException)
            {
                var kind = ex switch
                {
                    SocketException socket => socket.SocketErrorCode.ToString(),
                    OperationCanceledException => "Timeout",
                    _ => ex.GetType().Name,
                };
                result.Errors[kind] = result.Errors.GetValueOrDefault(kind) + 1;

                // A server that refuses or resets must not turn this loop into a spin that starves the core it shares
                // with the other loops; the errors are reported, and the measurement with them.
                await Task.Delay(10).ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <returns>The handshake's duration.</returns>
    private static async Task<TimeSpan> CycleAsync(IPEndPoint endPoint, byte[] payload, byte[] echo, LoopResult result, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",

            // Every handshake a full one: resuming a session would measure a different (cheaper) handshake.
            AllowTlsResume = false,

            // Both servers' certificates are throwaway self-signed ones (made at their start): nothing to validate.
#pragma warning disable CA5359 // A load generator against local test servers; validating their certificates is not the point.
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
#pragma warning restore CA5359
        };
        var begin = Stopwatch.GetTimestamp();
        await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        var handshake = Stopwatch.GetElapsedTime(begin);
        result.Session ??= ssl.SslProtocol + ", " + ssl.NegotiatedCipherSuite;

        await ssl.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        await ssl.ReadExactlyAsync(echo, cancellationToken).ConfigureAwait(false);
        if (!echo.AsSpan().SequenceEqual(payload))
        {
            throw new InvalidDataException("The echo did not match what was sent.");
        }

        // A clean close: close_notify and FIN, then the server's close (its close_notify or FIN), so neither side
        // sees a reset and every server finishes the whole connection's life inside the cycle.
        await ssl.ShutdownAsync().ConfigureAwait(false);
        socket.Shutdown(SocketShutdown.Send);
        while (await ssl.ReadAsync(echo, cancellationToken).ConfigureAwait(false) > 0)
        {
            // Nothing more is expected; anything is drained until the server's close.
        }

        return handshake;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>What one loop saw (one loop, one task: no locking).</summary>
    private sealed class LoopResult
    {
        public List<double> HandshakeMicroseconds { get; } = [];

        public Dictionary<string, int> Errors { get; } = [];

        public string? Session { get; set; }
    }
}
