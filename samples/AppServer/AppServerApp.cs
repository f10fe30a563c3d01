using System.Net;
using System.Text.Json;
using TcpToolkit.Connections;
using TcpToolkit.Protocol;

namespace TcpToolkit.Samples.AppServer;

/// <summary>
/// The guide's application server (app-server.py + libserver.py) on TcpToolkit: one request per connection, framed as
/// a 2-byte length, a JSON header and content; a search answer for text/json requests, the first 10 bytes echoed for
/// anything else; then the server closes first.
/// </summary>
/// <remarks>
/// Where the guide's server misbehaves this one differs, on purpose: a request whose content is falsy (an empty binary
/// body, <c>{}</c>, <c>null</c>, <c>[]</c>, <c>""</c>, <c>0</c>, <c>false</c>) gets the answer
/// <see cref="EmptyRequestResult"/> instead of a connection left open and spinning; a <c>content-length</c> above
/// 1 MiB closes the connection before any content is buffered; every other bad request closes that connection only,
/// without an answer, as in the guide.
/// </remarks>
public static class AppServerApp
{
    /// <summary>Usage line, as the guide prints it.</summary>
    public const string Usage = "Usage: AppServer <host> <port>";

    /// <summary>The result sent for a falsy request, which the guide's server never answers (spec §3.7).</summary>
    public const string EmptyRequestResult = "Error: empty request.";

    private static readonly Dictionary<string, string> s_search = new(StringComparer.Ordinal)
    {
        ["morpheus"] = "Follow the white rabbit. \U0001F430",
        ["ring"] = "In the caves beneath the Misty Mountains. \U0001F48D",
        ["\U0001F436"] = "\U0001F43E Playing ball! \U0001F3D0",
    };

    private static readonly byte[] s_binaryPrefix = "First 10 bytes of request: "u8.ToArray();
    private static readonly JsonHeaderEncoder s_encoder = new();

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires (Ctrl+C in the program).</summary>
    /// <param name="args">The command line: host (<c>''</c> or empty for all interfaces) and port.</param>
    /// <param name="stdout">Where the guide's lines go.</param>
    /// <param name="listening">Called with the bound endpoint (tests use port 0).</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>The exit code.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken)
        => GuideServerHost.RunAsync(args, Usage, stdout, listening, (connection, stopping) => ServeAsync(connection, stdout, stopping), cancellationToken);

    private static async Task ServeAsync(Connection connection, TextWriter stdout, CancellationToken stopping)
    {
        var peer = GuideFormat.Address(connection.RemoteEndPoint);
        await stdout.WriteLineAsync("Accepted connection from " + peer).ConfigureAwait(false);
        try
        {
            var request = await GuideFrames.ReadAsync(connection.Input, new JsonHeaderDecoder(), stopping).ConfigureAwait(false);
            var response = await AnswerAsync(request, peer, stdout).ConfigureAwait(false);
            var frame = GuideFrames.ToBytes(response, s_encoder);
            await stdout.WriteLineAsync($"Sending {GuideFormat.Bytes(frame)} to {peer}").ConfigureAwait(false);
            await connection.SendAsync(frame, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException or JsonException)
        {
            // The guide prints a traceback and closes this connection, without an answer; the server keeps serving.
            await stdout.WriteLineAsync(GuideFrames.ErrorLine(peer, ex)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The server is stopping (Ctrl+C): close without an answer.
        }

        // Returning closes gracefully: the response, then FIN. The server closes first, as the guide's does.
        await stdout.WriteLineAsync("Closing connection to " + peer).ConfigureAwait(false);
    }

    private static async Task<JsonHeaderMessage> AnswerAsync(JsonHeaderMessage request, string peer, TextWriter stdout)
    {
        if (!request.IsTextJson)
        {
            // "Binary or unknown" content type: echo the first 10 bytes, cut by bytes as the guide does.
            await stdout.WriteLineAsync($"Received {request.ContentType} request from {peer}").ConfigureAwait(false);
            if (request.Content.IsEmpty)
            {
                return GuideAppMessages.CreateSearchResponse(EmptyRequestResult);
            }

            var head = request.Content.Span[..Math.Min(10, request.ContentLength)];
            byte[] content = [.. s_binaryPrefix, .. head];
            return JsonHeaderMessage.CreateBinary(content, GuideAppMessages.ServerBinaryContentType);
        }

        request.TryReadSearchRequest(out var search, out var error);
        if (error is not (JsonContentError.None or JsonContentError.EmptyObject or JsonContentError.NotAnObject))
        {
            throw new InvalidDataException(Describe(error, request));
        }

        // The content is JSON: print it as the guide does (Python's repr of what json.loads returned).
        using var json = JsonDocument.Parse(request.GetContentText());
        await stdout.WriteLineAsync($"Received request {GuideFormat.Json(json.RootElement)} from {peer}").ConfigureAwait(false);
        if (GuideFormat.IsFalsy(json.RootElement))
        {
            return GuideAppMessages.CreateSearchResponse(EmptyRequestResult);
        }

        if (error != JsonContentError.None)
        {
            // Python: AttributeError, e.g. 'list' object has no attribute 'get'.
            throw new InvalidDataException("The request is not a JSON object.");
        }

        string result;
        if (search.IsSearch)
        {
            result = search.Value is not null && s_search.TryGetValue(search.Value, out var found) ? found : $"No match for '{search.Value ?? "None"}'.";
        }
        else
        {
            result = $"Error: invalid action '{search.Action ?? "None"}'.";
        }

        return GuideAppMessages.CreateSearchResponse(result);
    }

    private static string Describe(JsonContentError error, JsonHeaderMessage request) => error switch
    {
        JsonContentError.EmptyContent => "The text/json content is empty, which is not JSON.",
        JsonContentError.UnsupportedEncoding => $"Unknown content encoding '{request.ContentEncoding}'.",
        JsonContentError.InvalidText => $"The content is not valid {request.ContentEncoding}.",
        JsonContentError.InvalidJson => "The content is not valid JSON.",
        _ => "The request's action or value is an array, an object, or a string with a lone surrogate.",
    };
}
