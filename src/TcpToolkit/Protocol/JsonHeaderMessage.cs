using System.Text;

namespace TcpToolkit.Protocol;

/// <summary>
/// One message of the socket guide's application protocol: a JSON header (<c>byteorder</c>, <c>content-type</c>,
/// <c>content-encoding</c>, <c>content-length</c>) and the content bytes. <see cref="JsonHeaderDecoder"/> produces
/// it, <see cref="JsonHeaderEncoder"/> writes it.
/// </summary>
/// <remarks>
/// <para>
/// The content is never a slice of a connection's buffer: the decoder copies it into an array the message owns,
/// so a message stays valid after the reader advances and may be kept or passed to another thread.
/// </para>
/// <para>
/// Header keys other than the four required ones are accepted on input and dropped, as the guide's programs ignore
/// them. <c>content-length</c> is not stored: it is the length of <see cref="Content"/>.
/// </para>
/// <para>
/// This is the guide's codec, not its demo application: the search requests, their answers and the guide's two
/// binary content types live in the samples (samples/Shared/GuideApp, used by AppServer and AppClient).
/// </para>
/// </remarks>
public sealed class JsonHeaderMessage
{
    /// <summary>The content type of JSON content: <c>text/json</c>.</summary>
    public const string TextJsonContentType = "text/json";

    /// <summary>The content encoding of text and JSON content: <c>utf-8</c>.</summary>
    public const string Utf8ContentEncoding = "utf-8";

    /// <summary>The content encoding of binary content: <c>binary</c>.</summary>
    public const string BinaryContentEncoding = "binary";

    /// <summary>The <c>byteorder</c> value of a little-endian sender.</summary>
    public const string LittleEndianByteOrder = "little";

    /// <summary>The <c>byteorder</c> value of a big-endian sender.</summary>
    public const string BigEndianByteOrder = "big";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Creates a message from its parts. The content is not copied: do not change it afterwards.</summary>
    /// <param name="contentType">The <c>content-type</c>, for example <see cref="TextJsonContentType"/>.</param>
    /// <param name="contentEncoding">The <c>content-encoding</c>, for example <see cref="Utf8ContentEncoding"/>.</param>
    /// <param name="content">The content bytes; <c>content-length</c> is their count.</param>
    /// <exception cref="ArgumentNullException"><paramref name="contentType"/> or <paramref name="contentEncoding"/> is <see langword="null"/>.</exception>
    public JsonHeaderMessage(string contentType, string contentEncoding, ReadOnlyMemory<byte> content)
        : this(contentType, contentEncoding, content, byteOrder: null)
    {
    }

    internal JsonHeaderMessage(string contentType, string contentEncoding, ReadOnlyMemory<byte> content, string? byteOrder)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(contentEncoding);
        ContentType = contentType;
        ContentEncoding = contentEncoding;
        Content = content;
        ByteOrder = byteOrder;
    }

    /// <summary>Gets this machine's <c>byteorder</c>, as Python's <c>sys.byteorder</c> would report it.</summary>
    public static string HostByteOrder { get; } = BitConverter.IsLittleEndian ? LittleEndianByteOrder : BigEndianByteOrder;

    /// <summary>
    /// Gets the <c>byteorder</c> the sender declared when the message was decoded and it was a JSON string, otherwise
    /// <see langword="null"/>. Receivers ignore it; the encoder writes <see cref="HostByteOrder"/>, whatever a message says.
    /// </summary>
    public string? ByteOrder { get; }

    /// <summary>Gets the <c>content-type</c>.</summary>
    public string ContentType { get; }

    /// <summary>Gets the <c>content-encoding</c>.</summary>
    public string ContentEncoding { get; }

    /// <summary>Gets the content bytes.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>Gets the <c>content-length</c>: the number of content bytes.</summary>
    public int ContentLength => Content.Length;

    /// <summary>Gets a value indicating whether the <c>content-type</c> is exactly <c>text/json</c>, the guide's test for JSON content.</summary>
    public bool IsTextJson => string.Equals(ContentType, TextJsonContentType, StringComparison.Ordinal);

    /// <summary>
    /// Creates a text/json, utf-8 message whose content is a flat JSON object of string (or <see langword="null"/>)
    /// members, written in the given order exactly as Python's <c>json.dumps(obj, ensure_ascii=False)</c> writes it.
    /// </summary>
    /// <param name="members">The members, in order. Keys must be distinct; that is not checked.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentException">A key or value holds a lone surrogate, which has no UTF-8 form.</exception>
    public static JsonHeaderMessage CreateJson(params ReadOnlySpan<KeyValuePair<string, string?>> members)
    {
        var counter = new PythonJsonWriter(null);
        WriteObject(ref counter, members);
        var content = new byte[counter.BytesWritten];
        var writer = new PythonJsonWriter(new FixedArrayBufferWriter(content));
        WriteObject(ref writer, members);
        return new JsonHeaderMessage(TextJsonContentType, Utf8ContentEncoding, content);
    }

    /// <summary>Creates a message whose content is <paramref name="text"/> in UTF-8, with content-encoding <c>utf-8</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="contentType">The content type, for example <c>text/plain</c>.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> holds a lone surrogate.</exception>
    public static JsonHeaderMessage CreateText(string text, string contentType)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(contentType);
        return new JsonHeaderMessage(contentType, Utf8ContentEncoding, EncodeUtf8(text, nameof(text)));
    }

    /// <summary>Creates a message with binary content and content-encoding <c>binary</c>. The content is not copied.</summary>
    /// <param name="content">The content bytes.</param>
    /// <param name="contentType">The content type, for example <c>application/octet-stream</c>.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="contentType"/> is <see langword="null"/>.</exception>
    public static JsonHeaderMessage CreateBinary(ReadOnlyMemory<byte> content, string contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        return new JsonHeaderMessage(contentType, BinaryContentEncoding, content);
    }

    /// <summary>
    /// Decodes the content as text in its <c>content-encoding</c>: <c>utf-8</c>, <c>ascii</c>, <c>latin-1</c>,
    /// <c>utf-16</c> (a BOM picks the byte order), <c>utf-16-le</c> or <c>utf-16-be</c>, in any of the spellings Python
    /// accepts (<c>UTF8</c>, <c>utf_8</c>...).
    /// </summary>
    /// <returns>The text.</returns>
    /// <exception cref="NotSupportedException">The content encoding is not one of those (for example <c>binary</c>).</exception>
    /// <exception cref="InvalidDataException">The content is not valid in its encoding.</exception>
    public string GetContentText()
    {
        string text;
        try
        {
            if (!ContentEncodings.TryDecode(ContentEncoding, Content.Span, out text))
            {
                throw new NotSupportedException($"The content encoding '{ContentEncoding}' is not supported.");
            }
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"The content is not valid {ContentEncoding}.", ex);
        }

        return text;
    }

    /// <summary>Describes the header, for logs: the content is not included.</summary>
    /// <returns>For example <c>text/json; utf-8; 41 bytes</c>.</returns>
    public override string ToString() => $"{ContentType}; {ContentEncoding}; {ContentLength} bytes";

    private static void WriteObject(ref PythonJsonWriter writer, scoped ReadOnlySpan<KeyValuePair<string, string?>> members)
    {
        writer.WriteStartObject();
        foreach (KeyValuePair<string, string?> member in members)
        {
            ArgumentNullException.ThrowIfNull(member.Key, nameof(members));
            writer.WriteStringOrNull(member.Key, member.Value);
        }

        writer.WriteEndObject();
        writer.Flush();
    }

    private static byte[] EncodeUtf8(string text, string parameterName)
    {
        try
        {
            return s_strictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            // Python's str.encode("utf-8") refuses lone surrogates too (UnicodeEncodeError).
            throw new ArgumentException("The string contains a lone surrogate, which cannot be encoded as UTF-8.", parameterName, ex);
        }
    }
}
