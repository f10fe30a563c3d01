using System.Text;
using TcpToolkit.Protocol;

namespace TcpToolkit.Samples;

/// <summary>
/// The guide's demo application on top of the library's JSON-header codec: the search request and its answer
/// (text/json), the binary request and answer with the guide's own content types, and tolerant readers for both
/// JSON contents. Byte for byte what app-client.py (<c>libclient.create_request</c>) and app-server.py send.
/// </summary>
internal static class GuideAppMessages
{
    /// <summary>The content type the guide's client sends binary requests with.</summary>
    public const string ClientBinaryContentType = "binary/custom-client-binary-type";

    /// <summary>The content type the guide's server sends binary responses with.</summary>
    public const string ServerBinaryContentType = "binary/custom-server-binary-type";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Creates the guide's JSON request <c>{"action": ..., "value": ...}</c> as a text/json message, whatever the
    /// action. For the guide client's own choice between JSON and binary, use <see cref="CreateRequest"/>.
    /// </summary>
    /// <param name="action">The action, for example <c>search</c>.</param>
    /// <param name="value">The value, for example <c>morpheus</c>.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> or <paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A string holds a lone surrogate.</exception>
    public static JsonHeaderMessage CreateSearchRequest(string action, string value)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(value);
        return JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>("action", action), new KeyValuePair<string, string?>("value", value));
    }

    /// <summary>
    /// Creates the request the guide's client (<c>libclient.create_request</c>) sends for <paramref name="action"/> and
    /// <paramref name="value"/>: for <c>search</c> the JSON request of <see cref="CreateSearchRequest"/>; for any other
    /// action binary content, the UTF-8 of <paramref name="action"/> and <paramref name="value"/> joined with no
    /// separator, as <see cref="ClientBinaryContentType"/>.
    /// </summary>
    /// <param name="action">The action.</param>
    /// <param name="value">The value.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> or <paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A string holds a lone surrogate.</exception>
    public static JsonHeaderMessage CreateRequest(string action, string value)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(value);
        if (string.Equals(action, SearchRequest.SearchAction, StringComparison.Ordinal))
        {
            return CreateSearchRequest(action, value);
        }

        byte[] content;
        try
        {
            content = s_strictUtf8.GetBytes(string.Concat(action, value));
        }
        catch (EncoderFallbackException ex)
        {
            // Python's str.encode("utf-8") refuses lone surrogates too (UnicodeEncodeError).
            throw new ArgumentException("The string contains a lone surrogate, which cannot be encoded as UTF-8.", nameof(value), ex);
        }

        return JsonHeaderMessage.CreateBinary(content, ClientBinaryContentType);
    }

    /// <summary>Creates the guide's JSON response <c>{"result": ...}</c> as a text/json message.</summary>
    /// <param name="result">The result text, for example <c>Follow the white rabbit. 🐰</c>.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="result"/> holds a lone surrogate; the guide's server fails the same way (<c>UnicodeEncodeError</c>).
    /// </exception>
    public static JsonHeaderMessage CreateSearchResponse(string result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>("result", result));
    }

    /// <summary>
    /// Reads the guide's JSON request, <c>{"action": ..., "value": ...}</c>, from the content, tolerantly: any member
    /// order, other members, escapes and whitespace; for a repeated key the last one wins, as in Python.
    /// </summary>
    /// <param name="message">The request.</param>
    /// <param name="request">The action and value when the method returns <see langword="true"/>.</param>
    /// <param name="error">Why the content is not a request, or <see cref="JsonContentError.None"/>.</param>
    /// <returns><see langword="true"/> when the content is a JSON object that a server can answer.</returns>
    public static bool TryReadSearchRequest(this JsonHeaderMessage message, out SearchRequest request, out JsonContentError error)
    {
        error = JsonContentReader.TryReadMembers(message, "action"u8, "value"u8, out string? action, out string? value);
        request = error == JsonContentError.None ? new SearchRequest(action, value) : default;
        return error == JsonContentError.None;
    }

    /// <summary>
    /// Reads the guide's JSON response, <c>{"result": ...}</c>, from the content, with the rules of
    /// <see cref="TryReadSearchRequest"/>.
    /// </summary>
    /// <param name="message">The response.</param>
    /// <param name="result">
    /// The <c>result</c> member, or <see langword="null"/> when it is missing or JSON <c>null</c> (the guide's client
    /// prints <c>Got result: None</c>). A number or boolean comes back as its JSON text.
    /// </param>
    /// <param name="error">Why the content is not a response, or <see cref="JsonContentError.None"/>.</param>
    /// <returns><see langword="true"/> when the content is a JSON object.</returns>
    public static bool TryReadSearchResponse(this JsonHeaderMessage message, out string? result, out JsonContentError error)
    {
        error = JsonContentReader.TryReadMembers(message, "result"u8, default, out result, out _);
        if (error != JsonContentError.None)
        {
            result = null;
        }

        return error == JsonContentError.None;
    }
}
