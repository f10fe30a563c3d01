using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Proxy;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Samples.EchoServer;

/// <summary>
/// The guide's echo server (echo-server.py) on TcpToolkit: prints <c>Connected by (addr)</c> for each client,
/// echoes every byte until the client's EOF, then closes. Unlike the guide it serves clients until Ctrl+C
/// (<c>--once</c> serves one, as the guide does) and survives clients that reset. <c>--tls-cert server.pfx</c>
/// serves TLS (1.2 and 1.3) with that certificate, so <c>openssl s_client</c> or <c>EchoClient --tls</c> can connect.
/// </summary>
public static class EchoServerApp
{
    // Frames echoed by every connection (length32/line); published once per flush, not per frame.
    private static long s_framesEchoed;

    /// <summary>Usage line.</summary>
    public const string Usage = "Usage: EchoServer [--host 127.0.0.1] [--port 65432] [--framing raw|length32|line] [--tls-cert server.pfx [--tls-password PASSWORD]] [--proxy-protocol [--trusted-proxy CIDR]...] [--once] [--quiet] [--stats]";

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires (or after one client with --once).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where the guide's lines are printed.</param>
    /// <param name="listening">Called with the bound endpoint once the server listens (tests use port 0).</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        var parsed = SampleArgs.Parse(args, "--once", "--quiet", "--stats", "--proxy-protocol");
        var host = parsed.Get("--host", "127.0.0.1");
        var port = parsed.GetInt("--port", 65432);
        var framing = parsed.Get("--framing", "raw");
        var once = parsed.Has("--once");
        var quiet = parsed.Has("--quiet");
        var stats = parsed.Has("--stats");
        ConnectionHandler? echo = framing switch
        {
            "raw" => EchoRawAsync,
            "length32" => (connection, stopping) => EchoFramesAsync(
                connection,
                new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt32BigEndian),
                stopping),
            "line" => (connection, stopping) => EchoFramesAsync(
                connection,
                new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed),
                stopping),
            _ => null,
        };
        if (echo is null || parsed.Positional.Count > 0)
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Parse(host), port) } };
        if (parsed.Has("--proxy-protocol"))
        {
            // Behind a load balancer: every connection must start with a PROXY header from a trusted address
            // (loopback unless --trusted-proxy says otherwise), read first, before TLS; "Connected by" then prints
            // the client's own address.
            var proxy = new ProxyProtocolOptions();
            var trusted = parsed.GetAll("--trusted-proxy");
            if (trusted.Count > 0)
            {
                proxy.TrustedProxies.Clear();
                foreach (var network in trusted)
                {
                    if (!IPNetwork.TryParse(network, out var parsedNetwork))
                    {
                        await stdout.WriteLineAsync("Not a network in CIDR notation: " + network).ConfigureAwait(false);
                        return 1;
                    }

                    proxy.TrustedProxies.Add(parsedNetwork);
                }
            }

            options.Middleware.UseProxyProtocol(proxy);
        }
        else if (parsed.Has("--trusted-proxy"))
        {
            await stdout.WriteLineAsync("--trusted-proxy needs --proxy-protocol.").ConfigureAwait(false);
            return 1;
        }

        if (parsed.Has("--tls-cert"))
        {
            // The PFX's certificate with a private key is the server's; the others are its intermediates, sent along.
            X509Certificate2Collection certificates;
            try
            {
                certificates = X509CertificateLoader.LoadPkcs12CollectionFromFile(parsed.Get("--tls-cert", string.Empty), parsed.Has("--tls-password") ? parsed.Get("--tls-password", string.Empty) : null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                await stdout.WriteLineAsync("Cannot load the TLS certificate: " + ex.Message).ConfigureAwait(false);
                return 1;
            }

            var certificate = certificates.FirstOrDefault(c => c.HasPrivateKey);
            if (certificate is null)
            {
                await stdout.WriteLineAsync("Cannot load the TLS certificate: the PFX holds no certificate with a private key.").ConfigureAwait(false);
                return 1;
            }

            var tls = new TlsServerOptions { ServerCertificate = certificate };
            tls.ServerCertificateChain.AddRange(certificates.Where(c => c != certificate).ToArray());

            // TLS first: the handler below (and its "Connected by" line) runs after a successful handshake.
            options.Middleware.UseTls(tls);
        }

        var firstClientDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TcpServer(options, async (connection, stopping) =>
        {
            if (!quiet)
            {
                await stdout.WriteLineAsync("Connected by " + GuideFormat.Address(connection.RemoteEndPoint)).ConfigureAwait(false);
            }

            try
            {
                await echo(connection, stopping).ConfigureAwait(false);
            }
            finally
            {
                if (once)
                {
                    firstClientDone.TrySetResult();
                }
            }
        });

        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TcpBindException ex)
        {
            await stdout.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        listening?.Invoke(server.LocalEndPoint);
        using var statsStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var statsLoop = stats ? PrintStatsAsync(stdout, statsStop.Token) : Task.CompletedTask;
        await firstClientDone.Task.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await statsStop.CancelAsync().ConfigureAwait(false);
        await statsLoop.ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// <c>--stats</c>: once a second, the frames echoed so far and the bytes the process has allocated so far
    /// (<see cref="GC.GetTotalAllocatedBytes"/>, precise). The difference between two lines taken under steady load is
    /// the allocation per echoed frame; the benchmark harness reads these lines.
    /// </summary>
    private static async Task PrintStatsAsync(TextWriter stdout, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var frames = Volatile.Read(ref s_framesEchoed);
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                await stdout.WriteLineAsync(string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"stats frames={frames} allocated={allocated} gen0={GC.CollectionCount(0)}")).ConfigureAwait(false);
                await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The server stopped; so do the stats.
        }
    }

    /// <summary>
    /// Checks each frame with the decoder and writes the frames back as they came: the answer speaks the request's
    /// codec, so a run of whole frames goes back as its wire bytes, byte for byte what re-encoding each frame with the
    /// codec's encoder (<see cref="LengthFieldFrameEncoder"/>, <see cref="DelimiterFrameEncoder"/>) would write, without
    /// a decode and an encode per frame. Each run is written and flushed at once: with nothing buffered before it, the
    /// transport sends it straight from the input's memory.
    /// </summary>
    private static async Task EchoFramesAsync(
        Connection connection,
        IFrameDecoder<ReadOnlySequence<byte>> decoder,
        CancellationToken stopping)
    {
        var reader = new FrameReader(connection.Input);
        var writer = new FrameWriter(connection.Output);
        while (true)
        {
            var run = await reader.ReadRunAsync(decoder, stopping).ConfigureAwait(false);
            if (!run.HasFrames)
            {
                break;
            }

            var flush = await writer.WriteRunAsync(run, stopping).ConfigureAwait(false);
            Interlocked.Add(ref s_framesEchoed, run.FrameCount);
            if (flush.IsCompleted)
            {
                return;
            }
        }

        await writer.FlushAsync(stopping).ConfigureAwait(false);
    }

    /// <summary>Echoes bytes unchanged, pipe to pipe, until the client's EOF (the guide's recv/sendall loop, without copies).</summary>
    private static async Task EchoRawAsync(Connection connection, CancellationToken stopping)
    {
        var input = connection.Input;
        var output = connection.Output;
        while (true)
        {
            var result = await input.ReadAsync(stopping).ConfigureAwait(false);
            var buffer = result.Buffer;
            var flush = default(FlushResult);
            foreach (var segment in buffer)
            {
                // Straight from the input's memory to the socket when nothing waits before it.
                flush = await output.WriteAsync(segment, stopping).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break;
                }
            }

            input.AdvanceTo(buffer.End);
            if (result.IsCompleted || flush.IsCompleted)
            {
                return;
            }
        }
    }
}
