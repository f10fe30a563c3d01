using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// <c>burst-client --port N [--count 10000] [--concurrency 256] [--connect-timeout 10] [--deadline 60]</c>: the client
/// side of the connection-burst measurement, run by the harness as its own process pinned to the generator's core.
/// Opens <c>count</c> plain <see cref="Socket"/> connections to 127.0.0.1, at most <c>concurrency</c> connects in
/// flight, and keeps every connection open: a burst of clients that arrive and stay, so the server must accept all of
/// them and the harness can count them in the server's descriptors. Prints one JSON line when every connect has
/// finished (or failed, or the deadline passed), then holds the connections until its standard input closes.
/// </summary>
internal static class BurstClient
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = 0;
        var count = 10_000;
        var concurrency = 256;
        var connectTimeout = 10.0;
        var deadline = 60.0;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--port": port = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--count": count = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--connect-timeout": connectTimeout = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--deadline": deadline = double.Parse(value, CultureInfo.InvariantCulture); break;
                default:
                    await Console.Error.WriteLineAsync("Usage: burst-client --port N [--count 10000] [--concurrency 256] [--connect-timeout 10] [--deadline 60]");
                    return 1;
            }
        }

        if (port is <= 0 or > 65535 || count < 1 || concurrency < 1)
        {
            await Console.Error.WriteLineAsync("burst-client: --port, --count and --concurrency must be positive.");
            return 1;
        }

        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var sockets = new Socket?[count];
        var connectMicroseconds = new double[count];
        var errors = new Dictionary<string, int>();
        var next = -1;
        var lastCompleted = 0L;

        // The deadline bounds the whole burst: connects still pending then are cancelled and counted as failed.
        using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(deadline));
        var started = Stopwatch.GetTimestamp();
        async Task ConnectLoopAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(connectTimeout));
                var begin = Stopwatch.GetTimestamp();
                try
                {
                    await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
                    var end = Stopwatch.GetTimestamp();
                    sockets[i] = socket;
                    connectMicroseconds[i] = Stopwatch.GetElapsedTime(begin, end).TotalMicroseconds;
                    InterlockedMax(ref lastCompleted, end);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    socket.Dispose();
                    var kind = ex is SocketException socketError ? socketError.SocketErrorCode.ToString() : "Timeout";
                    lock (errors)
                    {
                        errors[kind] = errors.GetValueOrDefault(kind) + 1;
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(ConnectLoopAsync))).ConfigureAwait(false);
        var connected = sockets.Count(s => s is not null);
        var seconds = connected > 0 ? Stopwatch.GetElapsedTime(started, lastCompleted).TotalSeconds : Stopwatch.GetElapsedTime(started).TotalSeconds;
        var times = connectMicroseconds.Where((_, i) => sockets[i] is not null).Order().ToArray();
        var summary = new Dictionary<string, object>
        {
            ["connected"] = connected,
            ["failed"] = count - connected,
            ["seconds"] = seconds,
            ["connectsPerSec"] = connected / Math.Max(seconds, 1e-6),
            ["connectP50Ms"] = Percentile(times, 0.50) / 1000,
            ["connectP99Ms"] = Percentile(times, 0.99) / 1000,
            ["connectMaxMs"] = (times.Length > 0 ? times[^1] : 0) / 1000,
            ["errors"] = errors,
        };
        Console.WriteLine(JsonSerializer.Serialize(summary));
        await Console.Out.FlushAsync().ConfigureAwait(false);

        // Hold the connections until the harness has counted them on the server side and closes our standard input.
        using (var input = Console.OpenStandardInput())
        {
            var buffer = new byte[256];
            while (await input.ReadAsync(buffer).ConfigureAwait(false) > 0)
            {
                // Nothing is sent on standard input; end of file is the signal.
            }
        }

        foreach (var socket in sockets)
        {
            socket?.Dispose();
        }

        return 0;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
