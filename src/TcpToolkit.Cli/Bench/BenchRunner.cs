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
    /// <param name="progress">Where and how the live progress goes, or <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock of the warm-up, the measured window and the progress (tests use a fake one).</param>
    /// <param name="cancellationToken">Ends the run early (the result covers what was measured).</param>
    public static async Task<BenchResult> RunAsync(BenchSettings settings, BenchProgressOptions? progress, TimeProvider timeProvider, CancellationToken cancellationToken)
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
        using var schedule = new BenchSchedule(phase, settings.WarmUp, settings.Duration, timeProvider);
        using var display = progress is null ? null : new BenchProgress(progress, schedule, phase, loads);
        var loops = loads.Select(load => Task.Run(load.RunAsync, CancellationToken.None)).ToArray();
        var all = Task.WhenAll(loops);
        schedule.Start();
        display?.Start(Header(settings, negotiated));

        // The schedule's timers end the run; Ctrl+C, or every connection failing, ends it early.
        await ((Task)Task.WhenAny(schedule.Ended, all)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        schedule.End();
        var elapsed = schedule.Measured;
        display?.Stop();

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

    private static string Header(BenchSettings s, string? tls) => string.Create(
        CultureInfo.InvariantCulture,
        $"tcptk bench: {s.Connections} connections to {s.Host}:{s.Port} ({Codecs.Name(s.Codec)}{(tls is null ? "" : ", " + tls)}), {s.WarmUp.TotalSeconds:0.###} s warm-up, then {s.Duration.TotalSeconds:0.###} s measured");

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
