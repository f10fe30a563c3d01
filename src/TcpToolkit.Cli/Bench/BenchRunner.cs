using System.Diagnostics;
using System.Globalization;
using System.Net;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Cli.Bench;

/// <summary>
/// Runs <c>tcptk bench</c>: opens the connections, lets them run through the warm-up and the measured window, then
/// stops them and merges their histograms.
/// </summary>
internal static class BenchRunner
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    /// <param name="settings">What to run.</param>
    /// <param name="progress">Where the live progress line goes, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Ends the run early (the result covers what was measured).</param>
    public static async Task<BenchResult> RunAsync(BenchSettings settings, TextWriter? progress, CancellationToken cancellationToken)
    {
        var messages = new MessageSet(settings.Codec, settings.Size);
        var phase = new BenchPhase();
        var endPoint = await ResolveAsync(settings.Host, settings.Port, cancellationToken);
        var options = new TcpClientOptions();
        if (settings.Tls is { } tls)
        {
            // Each connect includes the handshake (the library's middleware), so every connection is TLS before the load starts.
            options.Middleware.UseTls(Tls.ClientOptions(settings.Host, tls.Insecure));
        }

        await using var client = new TcpClient(options);
        var connecting = new Task<TcpConnection>[settings.Connections];
        for (var i = 0; i < connecting.Length; i++)
        {
            connecting[i] = client.ConnectAsync(endPoint, cancellationToken);
        }

        var connections = await Task.WhenAll(connecting);
        var negotiated = connections[0].GetFeature<TlsConnectionInfo>() is { } session ? session.Protocol + ", " + session.CipherSuite : null;
        var loads = connections.Select(c => new LoadConnection(c, messages, settings.Depth, phase)).ToArray();
        var started = Stopwatch.GetTimestamp();
        var loops = loads.Select(load => Task.Run(load.RunAsync, CancellationToken.None)).ToArray();
        var all = Task.WhenAll(loops);

        await RunPhaseAsync(settings.WarmUp, started, "warm-up", settings.Size, loads, progress, all, cancellationToken);
        phase.MoveTo(BenchPhase.Measure);
        var measureStart = Stopwatch.GetTimestamp();
        await RunPhaseAsync(settings.Duration, started, "measure", settings.Size, loads, progress, all, cancellationToken);
        phase.MoveTo(BenchPhase.Done);
        var elapsed = Stopwatch.GetElapsedTime(measureStart);
        progress?.WriteLine();

        // Each loop returns after its next echo; a server that stopped answering is aborted instead.
        await all.WaitAsync(StopTimeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var load in loads)
        {
            if (!all.IsCompleted)
            {
                load.Connection.Abort("The benchmark is over.");
            }
        }

        await all.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var histogram = new LatencyHistogram();
        long measured = 0;
        var errors = new List<string>();
        for (var i = 0; i < loads.Length; i++)
        {
            histogram.Add(loads[i].Histogram);
            measured += loads[i].MeasuredMessages;
            if (loads[i].Error is { } error)
            {
                errors.Add("connection " + i.ToString(CultureInfo.InvariantCulture) + ": " + error);
            }
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        return new BenchResult(settings, measured, elapsed, histogram, errors, negotiated);
    }

    private static async Task RunPhaseAsync(
        TimeSpan length, long started, string name, int size, LoadConnection[] loads, TextWriter? progress, Task loops, CancellationToken cancellationToken)
    {
        var end = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        var lastCount = Total(loads);
        var lastTime = Stopwatch.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested && !loops.IsCompleted)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            var tick = remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1);
            await Task.WhenAny(Task.Delay(tick, cancellationToken), loops);
            if (progress is not null)
            {
                var now = Stopwatch.GetTimestamp();
                var count = Total(loads);
                var seconds = Math.Max((now - lastTime) / (double)Stopwatch.Frequency, 1e-9);
                var rate = (count - lastCount) / seconds;
                progress.Write(string.Create(
                    CultureInfo.InvariantCulture,
                    $"\r  {Stopwatch.GetElapsedTime(started).TotalSeconds,5:0.0} s  {name,-8} {rate,12:N0} msg/s {rate * size / 1e6,10:N1} MB/s   "));
                lastCount = count;
                lastTime = now;
            }
        }
    }

    private static long Total(LoadConnection[] loads)
    {
        long total = 0;
        foreach (var load in loads)
        {
            total += load.TotalMessages;
        }

        return total;
    }

    private static async Task<EndPoint> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        return new IPEndPoint(addresses[0], port);
    }
}
