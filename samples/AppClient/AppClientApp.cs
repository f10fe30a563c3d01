using System.Globalization;
using System.Net;
using System.Text.Json;
using TcpToolkit.Protocol;
using TcpToolkit.Transport;

namespace TcpToolkit.Samples.AppClient;

/// <summary>
/// The guide's application client (app-client.py + libclient.py) on TcpToolkit: sends one request, byte for byte the
/// one the guide's client sends (a text/json search, or binary content for any other action), reads one response
/// frame, prints it and closes gracefully (FIN).
/// </summary>
public static class AppClientApp
{
    /// <summary>Usage line, as the guide prints it.</summary>
    public const string Usage = "Usage: AppClient <host> <port> <action> <value>";

    private static readonly JsonHeaderEncoder s_encoder = new();

    /// <summary>Runs the client.</summary>
    /// <param name="args">The command line: host, port, action and value.</param>
    /// <param name="stdout">Where the guide's lines go.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The exit code: 1 for a usage error, otherwise 0 (errors are printed), as the guide's client.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, CancellationToken cancellationToken)
    {
        if (args.Length != 4 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        var (host, action, value) = (args[0], args[2], args[3]);
        var address = GuideFormat.Address(host, port);
        await stdout.WriteLineAsync("Starting connection to " + address).ConfigureAwait(false);
        await using var client = new TcpClient();
        var attempt = await client.TryConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        if (!attempt.IsConnected)
        {
            await stdout.WriteLineAsync(GuideFrames.ErrorLine(address, attempt.SocketError)).ConfigureAwait(false);
            return 0;
        }

        // Disposal closes gracefully, FIN and never RST: the guide's server must not see a reset.
        await using var connection = attempt.Connection;
        try
        {
            var frame = GuideFrames.ToBytes(GuideAppMessages.CreateRequest(action, value), s_encoder);
            await stdout.WriteLineAsync($"Sending {GuideFormat.Bytes(frame)} to {address}").ConfigureAwait(false);
            await connection.SendAsync(frame, cancellationToken).ConfigureAwait(false);

            var response = await GuideFrames.ReadAsync(connection.Input, new JsonHeaderDecoder(), cancellationToken).ConfigureAwait(false);
            await PrintAsync(response, address, stdout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException or JsonException)
        {
            // The guide prints the error and a traceback, closes, and still exits with 0.
            await stdout.WriteLineAsync(GuideFrames.ErrorLine(address, ex)).ConfigureAwait(false);
        }

        await stdout.WriteLineAsync("Closing connection to " + address).ConfigureAwait(false);
        return 0;
    }

    private static async Task PrintAsync(JsonHeaderMessage response, string address, TextWriter stdout)
    {
        if (!response.IsTextJson)
        {
            await stdout.WriteLineAsync($"Received {response.ContentType} response from {address}").ConfigureAwait(false);
            await stdout.WriteLineAsync("Got response: " + GuideFormat.Bytes(response.Content.Span)).ConfigureAwait(false);
            return;
        }

        using var json = JsonDocument.Parse(response.GetContentText());
        await stdout.WriteLineAsync($"Received response {GuideFormat.Json(json.RootElement)} from {address}").ConfigureAwait(false);

        // {} has no result: the guide prints None. Anything but an object fails there (AttributeError).
        if (!response.TryReadSearchResponse(out var result, out var error) && error != JsonContentError.EmptyObject)
        {
            throw new InvalidDataException("The response is not a JSON object with a result.");
        }

        await stdout.WriteLineAsync("Got result: " + (result ?? "None")).ConfigureAwait(false);
    }
}
