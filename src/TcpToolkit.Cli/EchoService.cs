using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using TcpToolkit.Cli.Metrics;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Cli;

/// <summary><c>tcptk echo-server</c>: echoes bytes (raw) or checks each frame with the codec's decoder and writes the frames back as they came.</summary>
internal static class EchoService
{
    /// <summary>Serves plain TCP until <paramref name="cancellationToken"/> fires.</summary>
    public static Task<int> RunAsync(IPEndPoint endPoint, Codec codec, TextWriter log, Action<EndPoint>? listening, CancellationToken cancellationToken)
        => RunAsync(endPoint, codec, tls: null, log, listening, cancellationToken);

    /// <summary>Serves until <paramref name="cancellationToken"/> fires, without printing metrics.</summary>
    public static Task<int> RunAsync(IPEndPoint endPoint, Codec codec, TlsSettings? tls, TextWriter log, Action<EndPoint>? listening, CancellationToken cancellationToken)
        => RunAsync(endPoint, codec, tls, metrics: null, log, listening, cancellationToken);

    /// <summary>Serves until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="endPoint">Where to listen (port 0 picks a free port).</param>
    /// <param name="codec">The wire format.</param>
    /// <param name="tls">TLS (the library's middleware, before the echo), or <see langword="null"/> for plain TCP.</param>
    /// <param name="metrics">Where to print the server's instruments (<c>--metrics</c>), or <see langword="null"/>.</param>
    /// <param name="log">Receives the "listening on" line.</param>
    /// <param name="listening">Called with the bound endpoint (tests use port 0).</param>
    /// <param name="cancellationToken">Stops the server.</param>
    public static async Task<int> RunAsync(
        IPEndPoint endPoint, Codec codec, TlsSettings? tls, MetricsOptions? metrics, TextWriter log, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        ServerTls? serverTls;
        try
        {
            serverTls = tls is null ? null : ServerTls.Create(tls);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            await log.WriteLineAsync("tcptk echo-server: cannot load the certificate: " + ex.Message);
            return 1;
        }

        using var certificates = serverTls;

        // --metrics: the server records on its own meter factory, and the printer listens before the server starts
        // (disposed in reverse: the server stops, then the printer, then the meters).
        using var meterFactory = metrics is null ? null : new ScopedMeterFactory();
        using var printer = metrics is null ? null : new MetricsPrinter(metrics, meterFactory!);
        printer?.Start();
        var options = new TcpServerOptions { EndPoints = { endPoint }, MeterFactory = meterFactory };
        if (serverTls is not null)
        {
            // A failed handshake closes only that connection (logged at Debug by the middleware, silent here).
            options.Middleware.UseTls(serverTls.Options);
        }

        await using var server = new TcpServer(options, (connection, stopping) => EchoAsync(connection, codec, stopping));
        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch (TcpBindException ex)
        {
            await log.WriteLineAsync(ex.Message);
            return 1;
        }

        var mode = Codecs.Name(codec) + (serverTls is null ? "" : ", TLS with " + serverTls.Description);
        await log.WriteLineAsync("tcptk echo-server: listening on " + server.LocalEndPoint + " (" + mode + ")");
        listening?.Invoke(server.LocalEndPoint);
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await server.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>Echoes one connection until the peer's EOF.</summary>
    public static Task EchoAsync(Connection connection, Codec codec, CancellationToken stopping) => codec == Codec.Raw
        ? EchoRawAsync(connection, stopping)
        : EchoFramesAsync(connection, codec, stopping);

    private static async Task EchoFramesAsync(Connection connection, Codec codec, CancellationToken stopping)
    {
        // The echo's output speaks the input's codec, so each run of whole frames goes back as its wire bytes: byte for
        // byte what re-encoding every frame with Codecs.CreateEncoder(codec) would write, each frame still checked by
        // the decoder and counted both ways, without a decode and an encode per frame (issue 17).
        var decoder = Codecs.CreateDecoder(codec);
        var reader = new FrameReader(connection, logger: null);
        var writer = new FrameWriter(connection);
        while (true)
        {
            var run = await reader.ReadRunAsync(decoder, stopping);
            if (!run.HasFrames)
            {
                break;
            }

            // Written and flushed at once: straight from the input's memory to the socket when it takes them all.
            var flush = await writer.WriteRunAsync(run, stopping);
            if (flush.IsCompleted)
            {
                return;
            }
        }

        await writer.FlushAsync(stopping);
    }

    private static async Task EchoRawAsync(Connection connection, CancellationToken stopping)
    {
        // The wait for bytes holds only this loop's few fields (an idle connection's state, issue #17); writing back
        // is a method of its own.
        var input = connection.Input;
        while (true)
        {
            var result = await input.ReadAsync(stopping);
            var goOn = await WriteBackAsync(connection.Output, result.Buffer, stopping);
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || !goOn)
            {
                return;
            }
        }
    }

    /// <summary>Writes <paramref name="buffer"/> back, each segment straight to the socket when nothing waits before it; false when the output is gone.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> WriteBackAsync(PipeWriter output, ReadOnlySequence<byte> buffer, CancellationToken stopping)
    {
        foreach (var segment in buffer)
        {
            if ((await output.WriteAsync(segment, stopping)).IsCompleted)
            {
                return false;
            }
        }

        return true;
    }
}
