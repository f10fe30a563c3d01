using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using TcpToolkit.Framing;

namespace TcpToolkit.Protocol;

/// <summary>
/// Reads <see cref="JsonHeaderMessage"/> frames of the socket guide's application protocol: a 2-byte big-endian
/// JSON header length, a UTF-8 JSON header with the keys <c>byteorder</c>, <c>content-type</c>,
/// <c>content-encoding</c> and <c>content-length</c>, then <c>content-length</c> bytes of content.
/// </summary>
/// <remarks>
/// <para>
/// Reading is as tolerant as Python's <c>json</c> module: any key order, extra keys (dropped), escapes, whitespace;
/// for a repeated key the last one wins. Unlike Python it rejects <c>NaN</c>/<c>Infinity</c> and nesting deeper than
/// 64 anywhere in the header, and it requires <c>content-type</c> and <c>content-encoding</c> to be strings.
/// </para>
/// <para>
/// The header is parsed with <see cref="Utf8JsonReader"/> and no DOM; the usual header values (<c>text/json</c>,
/// <c>utf-8</c>, <c>little</c>...) come back as shared strings, so the header costs no allocation. The content
/// length is checked against <see cref="JsonHeaderCodecOptions.MaxContentLength"/> as soon as the header is
/// complete, before any content is buffered. The content is copied into an array the message owns.
/// </para>
/// <para>
/// While the content of a frame is incomplete the decoder remembers its parsed header, so a peer that trickles the
/// content of a frame with a 64 KiB header costs one header parse, not one per segment. Use one decoder per
/// connection, and after a call that returned <see langword="false"/> pass the same bytes again plus the new ones
/// (as <see cref="TcpToolkit.Framing.FrameReader"/> does).
/// </para>
/// </remarks>
public sealed class JsonHeaderDecoder : IFrameDecoder<JsonHeaderMessage>
{
    private const int ProtoHeaderLength = sizeof(ushort);

    private static readonly string[] s_knownByteOrders = [JsonHeaderMessage.LittleEndianByteOrder, JsonHeaderMessage.BigEndianByteOrder];

    // The content types the guide's programs send come back as shared strings, so decoding their frames allocates
    // nothing per header field. The two binary ones are the guide's demo application's (samples/Shared/GuideApp):
    // known here only as strings worth sharing, not as API.
    private static readonly string[] s_knownContentTypes =
        [JsonHeaderMessage.TextJsonContentType, "binary/custom-client-binary-type", "binary/custom-server-binary-type"];

    private static readonly string[] s_knownContentEncodings = [JsonHeaderMessage.Utf8ContentEncoding, JsonHeaderMessage.BinaryContentEncoding];

    private readonly JsonHeaderCodecOptions _options;

    // The header of the frame whose content is still arriving: parsed once, reused until the frame completes.
    private HeaderFields _pendingHeader;
    private int _pendingHeaderLength;

    /// <summary>Creates a decoder with <see cref="JsonHeaderCodecOptions.Default"/>.</summary>
    public JsonHeaderDecoder()
        : this(JsonHeaderCodecOptions.Default)
    {
    }

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">The limits.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public JsonHeaderDecoder(JsonHeaderCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc/>
    /// <exception cref="JsonHeaderException">The JSON header is empty, not UTF-8, not a JSON object, starts with a BOM,
    /// lacks a required key, or has a <c>content-length</c> that is not a non-negative integer.</exception>
    /// <exception cref="FrameTooLargeException"><c>content-length</c> is above <see cref="JsonHeaderCodecOptions.MaxContentLength"/>.</exception>
    public bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out JsonHeaderMessage frame)
    {
        // The seam's signature has no [MaybeNullWhen(false)]; callers must not read the frame after false.
        frame = null!;
        if (input.Length < ProtoHeaderLength)
        {
            examined = input.End;
            return false;
        }

        var lengthReader = new SequenceReader<byte>(input);
        lengthReader.TryReadBigEndian(out short rawHeaderLength);
        int headerLength = (ushort)rawHeaderLength;
        if (headerLength == 0)
        {
            throw new JsonHeaderException(JsonHeaderError.EmptyHeader, "The JSON header is empty: the proto-header announces 0 bytes.");
        }

        if (input.Length < ProtoHeaderLength + headerLength)
        {
            examined = input.End;
            return false;
        }

        HeaderFields header;
        if (_pendingHeaderLength == headerLength)
        {
            header = _pendingHeader;
        }
        else
        {
            header = ParseHeader(input.Slice(ProtoHeaderLength, headerLength));
        }

        if (header.ContentLength > _options.MaxContentLength)
        {
            // Before any content is buffered: a hostile length costs nothing.
            throw new FrameTooLargeException(
                $"Content length {header.ContentLengthText ?? header.ContentLength.ToString(CultureInfo.InvariantCulture)} exceeds the maximum content length {_options.MaxContentLength}.",
                header.ContentLength,
                _options.MaxContentLength);
        }

        long frameLength = ProtoHeaderLength + headerLength + header.ContentLength;
        if (input.Length < frameLength)
        {
            _pendingHeader = header;
            _pendingHeaderLength = headerLength;
            examined = input.End;
            return false;
        }

        _pendingHeaderLength = 0;

        byte[] content = input.Slice(ProtoHeaderLength + headerLength, header.ContentLength).ToArray();
        consumed = input.GetPosition(frameLength);
        examined = consumed;
        frame = new JsonHeaderMessage(header.ContentType!, header.ContentEncoding!, content, header.ByteOrder);
        return true;
    }

    private static HeaderFields ParseHeader(ReadOnlySequence<byte> header)
    {
        if (header.IsSingleSegment)
        {
            return ParseHeader(header.FirstSpan);
        }

        // At most 64 KiB; a contiguous copy keeps the BOM and UTF-8 checks simple across segment boundaries.
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)header.Length);
        try
        {
            header.CopyTo(rented);
            return ParseHeader(rented.AsSpan(0, (int)header.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static HeaderFields ParseHeader(ReadOnlySpan<byte> header)
    {
        // Python decodes the header as UTF-8 text first, then parses it: both failures close the connection.
        if (header.StartsWith("\uFEFF"u8))
        {
            throw new JsonHeaderException(JsonHeaderError.ByteOrderMark, "The JSON header starts with a UTF-8 byte order mark.");
        }

        if (!Utf8.IsValid(header))
        {
            throw new JsonHeaderException(JsonHeaderError.InvalidUtf8, "The JSON header is not valid UTF-8.");
        }

        HeaderFields fields;
        try
        {
            fields = ReadFields(header);
        }
        catch (JsonException ex)
        {
            throw new JsonHeaderException(JsonHeaderError.InvalidJson, $"The JSON header is not valid JSON: {ex.Message}", innerException: ex);
        }

        // Python's order (libserver.process_jsonheader): all four keys must exist before any value is used.
        ThrowIfMissing(fields.HasByteOrder, "byteorder");
        ThrowIfMissing(fields.ContentLengthProblem is not ContentLengthProblem.Missing, "content-length");
        ThrowIfMissing(fields.HasContentType, "content-type");
        ThrowIfMissing(fields.HasContentEncoding, "content-encoding");
        switch (fields.ContentLengthProblem)
        {
            case ContentLengthProblem.None:
                break;
            case ContentLengthProblem.TooLarge:
                // Beyond Int64: reported by the caller as above the maximum, with the digits as sent.
                fields.ContentLength = long.MaxValue;
                break;
            default:
                throw new JsonHeaderException(
                    JsonHeaderError.InvalidContentLength,
                    $"Header 'content-length' must be a non-negative JSON integer, not {fields.ContentLengthText}.",
                    "content-length");
        }

        ThrowIfNotString(fields.ContentType, "content-type");
        ThrowIfNotString(fields.ContentEncoding, "content-encoding");
        return fields;
    }

    private static HeaderFields ReadFields(ReadOnlySpan<byte> header)
    {
        var fields = new HeaderFields { ContentLengthProblem = ContentLengthProblem.Missing };
        var reader = new Utf8JsonReader(header);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            EnsureEnd(ref reader);
            throw new JsonHeaderException(JsonHeaderError.NotAnObject, $"The JSON header is {Describe(reader.TokenType)}, not an object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // ValueTextEquals compares the unescaped name, so "content\u002dtype" matches too. A repeated key
            // overwrites what came before: the last one wins, as in Python.
            if (NameIs(ref reader, "byteorder"u8))
            {
                reader.Read();
                fields.HasByteOrder = true;
                fields.ByteOrder = ReadKnownString(ref reader, s_knownByteOrders);
            }
            else if (NameIs(ref reader, "content-type"u8))
            {
                reader.Read();
                fields.HasContentType = true;
                fields.ContentType = ReadKnownString(ref reader, s_knownContentTypes);
            }
            else if (NameIs(ref reader, "content-encoding"u8))
            {
                reader.Read();
                fields.HasContentEncoding = true;
                fields.ContentEncoding = ReadKnownString(ref reader, s_knownContentEncodings);
            }
            else if (NameIs(ref reader, "content-length"u8))
            {
                reader.Read();
                ReadContentLength(ref reader, ref fields);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        return fields;
    }

    /// <summary>Returns the string value, shared when it is a known one; <see langword="null"/> when it is not a usable string.</summary>
    private static string? ReadKnownString(ref Utf8JsonReader reader, string[] known)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        try
        {
            foreach (string candidate in known)
            {
                if (reader.ValueTextEquals(candidate))
                {
                    return candidate;
                }
            }

            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800"): valid JSON, but no UTF-8 text, so no usable header value.
            return null;
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
            // Python accepts such a key (it is just an extra key); ValueTextEquals cannot unescape it.
            return false;
        }
    }

    private static void ReadContentLength(ref Utf8JsonReader reader, ref HeaderFields fields)
    {
        fields.ContentLength = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            fields.ContentLengthProblem = ContentLengthProblem.NotAnInteger;
            fields.ContentLengthText = Describe(reader.TokenType);
            reader.Skip();
            return;
        }

        ReadOnlySpan<byte> raw = reader.ValueSpan;
        if (reader.TryGetInt64(out long length))
        {
            fields.ContentLength = length;
            fields.ContentLengthProblem = length < 0 ? ContentLengthProblem.Negative : ContentLengthProblem.None;
            fields.ContentLengthText = length < 0 ? "a negative number" : null;
            return;
        }

        // TryGetInt64 fails for fractions and exponents (Python's float, unusable as a length) and for integers
        // beyond Int64 (Python's int, a length no maximum allows).
        bool integer = raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;
        bool negative = raw[0] == (byte)'-';
        fields.ContentLengthProblem = !integer ? ContentLengthProblem.NotAnInteger
            : negative ? ContentLengthProblem.Negative
            : ContentLengthProblem.TooLarge;
        fields.ContentLengthText = fields.ContentLengthProblem switch
        {
            ContentLengthProblem.NotAnInteger => "a fraction",
            ContentLengthProblem.Negative => "a negative number",
            _ => System.Text.Encoding.UTF8.GetString(raw),
        };
    }

    private static void ThrowIfMissing(bool present, string key)
    {
        if (!present)
        {
            throw new JsonHeaderException(JsonHeaderError.MissingRequiredHeader, $"Missing required header '{key}'.", key);
        }
    }

    private static void ThrowIfNotString(string? value, string key)
    {
        if (value is null)
        {
            throw new JsonHeaderException(JsonHeaderError.InvalidHeaderValue, $"Header '{key}' must be a JSON string with valid UTF-16 content.", key);
        }
    }

    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            // Python: json.JSONDecodeError("Extra data").
            throw new JsonException("Unexpected data after the JSON header object.");
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => token.ToString(),
    };

    private enum ContentLengthProblem
    {
        None,
        Missing,
        NotAnInteger,
        Negative,
        TooLarge,
    }

    private struct HeaderFields
    {
        public bool HasByteOrder;
        public string? ByteOrder;
        public bool HasContentType;
        public string? ContentType;
        public bool HasContentEncoding;
        public string? ContentEncoding;
        public long ContentLength;
        public ContentLengthProblem ContentLengthProblem;
        public string? ContentLengthText;
    }
}
