using System.Net;
using Microsoft.Extensions.Logging;
using TcpToolkit.Messaging;
using TcpToolkit.Samples.KeyValue;
using TcpToolkit.Transport;

namespace TcpToolkit.Samples.KeyValueServer;

/// <summary>
/// A tiny in-memory key-value service over typed request/response (<see cref="MessageServer"/> with JSON messages from a
/// source-generated context): methods "get", "set" and "delete" (see <see cref="KeyValueStore"/>). Serves until Ctrl+C
/// or SIGTERM, then goes away gracefully: requests not started are answered "not executed", so clients retry them
/// elsewhere.
/// </summary>
public static class KeyValueServerApp
{
    /// <summary>Usage line.</summary>
    public const string Usage = "Usage: KeyValueServer <host> <port> [--concurrency N] [--verbose]";

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where status lines are printed.</param>
    /// <param name="listening">Called with the bound endpoint once the server listens (tests use port 0).</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        var parsed = SampleArgs.Parse(args, "--verbose");
        if (parsed.Positional.Count != 2 || !IPAddress.TryParse(parsed.Positional[0], out var address)
            || !int.TryParse(parsed.Positional[1], System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        using var loggerFactory = LoggerFactory.Create(builder =>
        {
            if (parsed.Has("--verbose"))
            {
                builder.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
            }
        });
        var store = new KeyValueStore();
        var messages = new MessageServer(new MessageServerOptions
            {
                MaxConcurrentRequestsPerConnection = parsed.GetInt("--concurrency", 1),
                IncludeExceptionDetails = true, // the commands' ArgumentException texts are meant for the client
                Serializer = new JsonMessageSerializer(KeyValueJson.Default),
                LoggerFactory = loggerFactory,
            })
            .Map<GetRequest, KeyValueReply>("get", (request, _, _) => ValueTask.FromResult(store.Get(request)))
            .Map<SetRequest, KeyValueReply>("set", (request, _, _) => ValueTask.FromResult(store.Set(request)))
            .Map<DeleteRequest, KeyValueReply>("delete", (request, _, _) => ValueTask.FromResult(store.Delete(request)));
        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(address, port) }, LoggerFactory = loggerFactory };
        await using var server = new TcpServer(options, messages.HandleConnectionAsync);
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TcpBindException ex)
        {
            await stdout.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        await stdout.WriteLineAsync("Listening on " + GuideFormat.Address(server.LocalEndPoint)).ConfigureAwait(false);
        listening?.Invoke(server.LocalEndPoint);
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var stopped = await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Stopped: {store.Count} keys, {stopped}").ConfigureAwait(false);
        return 0;
    }
}
