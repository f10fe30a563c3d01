using System.Buffers;
using System.Buffers.Binary;
using TcpToolkit.Framing;

namespace TcpToolkit.Protocol;

/// <summary>
/// Writes <see cref="JsonHeaderMessage"/> frames byte for byte as the socket guide's Python programs do: the 2-byte
/// big-endian JSON header length, the JSON header <c>{"byteorder": ..., "content-type": ..., "content-encoding": ...,
/// "content-length": ...}</c> in the form of Python's <c>json.dumps(obj, ensure_ascii=False)</c>, then the content.
/// </summary>
/// <remarks>The encoder keeps no state; one instance can serve every connection.</remarks>
public sealed class JsonHeaderEncoder : IFrameEncoder<JsonHeaderMessage>
{
    private readonly JsonHeaderCodecOptions _options;

    /// <summary>Creates an encoder with <see cref="JsonHeaderCodecOptions.Default"/>.</summary>
    public JsonHeaderEncoder()
        : this(JsonHeaderCodecOptions.Default)
    {
    }

    /// <summary>Creates an encoder.</summary>
    /// <param name="options">The limits.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public JsonHeaderEncoder(JsonHeaderCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>
    /// Writes <paramref name="frame"/> to <paramref name="output"/>. Nothing is written when an exception is thrown.
    /// The <c>byteorder</c> written is <see cref="JsonHeaderMessage.HostByteOrder"/>, not the message's: it describes
    /// the sender, which is this machine.
    /// </summary>
    /// <param name="frame">The message.</param>
    /// <param name="output">Where the bytes go.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FrameTooLargeException">
    /// The content is longer than <see cref="JsonHeaderCodecOptions.MaxContentLength"/>, or the JSON header is longer
    /// than the 65,535 bytes its length field can express (a very long content type).
    /// </exception>
    /// <exception cref="ArgumentException">The content type or encoding holds a lone surrogate, which has no UTF-8 form.</exception>
    public void Encode(JsonHeaderMessage frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(output);
        int contentLength = frame.ContentLength;
        if (contentLength > _options.MaxContentLength)
        {
            throw new FrameTooLargeException(
                $"Content length {contentLength} exceeds the maximum content length {_options.MaxContentLength}.",
                contentLength,
                _options.MaxContentLength);
        }

        // The length goes first, so measure the header before writing anything.
        var counter = new PythonJsonWriter(null);
        WriteHeader(ref counter, frame, _options.ByteOrder);
        long headerLength = counter.BytesWritten;
        if (headerLength > JsonHeaderCodecOptions.MaxHeaderLength)
        {
            throw new FrameTooLargeException(
                $"The JSON header is {headerLength} bytes; its 2-byte length field holds at most {JsonHeaderCodecOptions.MaxHeaderLength}.",
                headerLength,
                JsonHeaderCodecOptions.MaxHeaderLength);
        }

        BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(sizeof(ushort)), (ushort)headerLength);
        output.Advance(sizeof(ushort));
        var writer = new PythonJsonWriter(output);
        WriteHeader(ref writer, frame, _options.ByteOrder);
        output.Write(frame.Content.Span);
    }

    private static void WriteHeader(ref PythonJsonWriter writer, JsonHeaderMessage frame, string byteOrder)
    {
        // Key order of libserver/libclient._create_message; receivers do not care, byte-identical frames do.
        writer.WriteStartObject();
        writer.WriteString("byteorder", byteOrder);
        writer.WriteString("content-type", frame.ContentType);
        writer.WriteString("content-encoding", frame.ContentEncoding);
        writer.WriteNumber("content-length", frame.ContentLength);
        writer.WriteEndObject();
        writer.Flush();
    }
}
