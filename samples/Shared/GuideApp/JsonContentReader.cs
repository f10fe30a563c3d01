using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using TcpToolkit.Protocol;

namespace TcpToolkit.Samples;

/// <summary>
/// Reads the guide's flat JSON contents with <see cref="Utf8JsonReader"/> (no DOM): only the wanted members are
/// turned into strings, everything else is skipped. Its errors follow what the guide's server does with each input
/// (spec §3.7), which is why it is sample code and not the library's.
/// </summary>
internal static class JsonContentReader
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads the string members <paramref name="firstKey"/> and (unless empty) <paramref name="secondKey"/> of the
    /// JSON object in the content.
    /// </summary>
    public static JsonContentError TryReadMembers(
        JsonHeaderMessage message,
        ReadOnlySpan<byte> firstKey,
        ReadOnlySpan<byte> secondKey,
        out string? first,
        out string? second)
    {
        first = null;
        second = null;
        if (!message.IsTextJson)
        {
            return JsonContentError.NotJson;
        }

        if (message.ContentLength == 0)
        {
            return JsonContentError.EmptyContent;
        }

        JsonContentError error = TryGetUtf8(message, out ReadOnlyMemory<byte> utf8);
        if (error != JsonContentError.None)
        {
            return error;
        }

        // Python's json module refuses a leading BOM ("Unexpected UTF-8 BOM"); Utf8JsonReader would skip it.
        if (utf8.Span.StartsWith("\uFEFF"u8))
        {
            return JsonContentError.InvalidJson;
        }

        try
        {
            return ReadObject(utf8.Span, firstKey, secondKey, ref first, ref second);
        }
        catch (JsonException)
        {
            first = null;
            second = null;
            return JsonContentError.InvalidJson;
        }
    }

    private static JsonContentError TryGetUtf8(JsonHeaderMessage message, out ReadOnlyMemory<byte> utf8)
    {
        if (string.Equals(message.ContentEncoding, JsonHeaderMessage.Utf8ContentEncoding, StringComparison.Ordinal))
        {
            // Read in place: no decode, no copy. Utf8JsonReader does not validate UTF-8 everywhere, so check here.
            utf8 = message.Content;
            return Utf8.IsValid(utf8.Span) ? JsonContentError.None : JsonContentError.InvalidText;
        }

        // Any other encoding (or another spelling of UTF-8, such as "UTF8"): the library decodes it as Python would.
        utf8 = default;
        string text;
        try
        {
            text = message.GetContentText();
        }
        catch (NotSupportedException)
        {
            return JsonContentError.UnsupportedEncoding;
        }
        catch (InvalidDataException)
        {
            return JsonContentError.InvalidText;
        }

        utf8 = s_strictUtf8.GetBytes(text);
        return JsonContentError.None;
    }

    private static JsonContentError ReadObject(
        ReadOnlySpan<byte> utf8,
        ReadOnlySpan<byte> firstKey,
        ReadOnlySpan<byte> secondKey,
        ref string? first,
        ref string? second)
    {
        var reader = new Utf8JsonReader(utf8);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            // Reject trailing garbage before calling it "not an object": "[1] x" is invalid JSON to Python.
            reader.Skip();
            EnsureEnd(ref reader);
            return JsonContentError.NotAnObject;
        }

        int members = 0;
        bool invalidMember = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            members++;
            bool isFirst = NameIs(ref reader, firstKey);
            bool isSecond = !isFirst && !secondKey.IsEmpty && NameIs(ref reader, secondKey);
            reader.Read();
            if (!isFirst && !isSecond)
            {
                reader.Skip();
                continue;
            }

            // A repeated key overwrites, so the last one wins as in Python's json module.
            if (!TryReadScalar(ref reader, out string? value))
            {
                invalidMember = true;
                continue;
            }

            if (isFirst)
            {
                first = value;
            }
            else
            {
                second = value;
            }
        }

        EnsureEnd(ref reader);
        if (invalidMember)
        {
            first = null;
            second = null;
            return JsonContentError.InvalidMember;
        }

        return members == 0 ? JsonContentError.EmptyObject : JsonContentError.None;
    }

    private static bool TryReadScalar(ref Utf8JsonReader reader, out string? value)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return TryGetString(ref reader, out value);
            case JsonTokenType.Null:
                value = null;
                return true;
            case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                value = Encoding.UTF8.GetString(reader.ValueSpan);
                return true;
            default:
                reader.Skip();
                value = null;
                return false;
        }
    }

    private static bool TryGetString(ref Utf8JsonReader reader, out string? value)
    {
        try
        {
            value = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            // GetString refuses an escaped lone surrogate ("\ud800"): no .NET-to-UTF-8 round trip exists for it.
            value = null;
            return false;
        }
    }

    /// <summary>Compares the current property name; a name with an escaped lone surrogate matches nothing.</summary>
    private static bool NameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        try
        {
            return reader.ValueTextEquals(name);
        }
        catch (InvalidOperationException)
        {
            // ValueTextEquals cannot unescape "\ud800"; such a key is never one the reader wants.
            return false;
        }
    }

    /// <summary>Throws <see cref="JsonException"/> unless only whitespace follows the top-level value.</summary>
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("Unexpected data after the JSON value.");
        }
    }
}
