using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The frame layout of protocol version 1, all integers big-endian:
/// <c>length u32 | kind u8 | flags u8 | id u64 | kind fields | [metadata: u16 length + entries] | payload</c>.
/// <c>length</c> counts the bytes after itself. The README's "The wire protocol" section is the reference.
/// </summary>
internal static class Wire
{
    /// <summary>The protocol version this build speaks.</summary>
    public const ushort Version = 1;

    /// <summary>Bytes before the kind fields: length, kind, flags, id.</summary>
    public const int HeaderLength = 4 + 1 + 1 + 8;

    /// <summary>Hello and HelloAck fields: version u16, max frame u32, max requests in flight u32, max buffered bytes u32, ping interval ms u32.</summary>
    public const int HelloFieldsLength = 2 + 4 + 4 + 4 + 4;

    /// <summary>The smallest frame limit a peer may announce: a hello and a short request must fit.</summary>
    public const int MinFrameLength = 256;

    /// <summary>The default maximum frame length of both ends: 1 MiB, as the framing codecs' default.</summary>
    public const int DefaultMaxFrameLength = 1_048_576;

    /// <summary>Method names are at most this many UTF-8 bytes (one length byte).</summary>
    public const int MaxMethodLength = 255;

    /// <summary>Flag bit: a metadata block follows the kind fields.</summary>
    public const byte FlagMetadata = 1;

    /// <summary>Request fields before the method bytes: timeout ms u32, method length u8.</summary>
    public const int RequestFieldsLength = 4 + 1;

    /// <summary>Bytes a request frame takes besides payload, method and metadata.</summary>
    public const int RequestOverhead = HeaderLength + RequestFieldsLength;

    public static int MethodByteCount(string method)
    {
        var count = Encoding.UTF8.GetByteCount(method);
        if (count > MaxMethodLength)
        {
            throw new ArgumentException($"A method name is at most {MaxMethodLength} UTF-8 bytes; this one has {count}.", nameof(method));
        }

        return count;
    }

    /// <summary>Writes the common header into <paramref name="span"/> (at least <see cref="HeaderLength"/> bytes).</summary>
    public static void WriteHeader(Span<byte> span, int frameLength, FrameKind kind, byte flags, ulong id)
    {
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)(frameLength - 4));
        span[4] = (byte)kind;
        span[5] = flags;
        BinaryPrimitives.WriteUInt64BigEndian(span[6..], id);
    }

    /// <summary>Writes a frame with no kind fields: Response, Cancel, Ping, Pong (and the payload, if any).</summary>
    public static void WriteSimple(IBufferWriter<byte> output, FrameKind kind, ulong id, ReadOnlySpan<byte> payload)
    {
        var length = HeaderLength + payload.Length;
        var span = output.GetSpan(Math.Min(length, 4096));
        if (span.Length >= length)
        {
            WriteHeader(span, length, kind, 0, id);
            payload.CopyTo(span[HeaderLength..]);
            output.Advance(length);
            return;
        }

        WriteHeader(span, length, kind, 0, id);
        output.Advance(HeaderLength);
        output.Write(payload);
    }

    /// <summary>Writes a Ping.</summary>
    public static void WritePing(IBufferWriter<byte> output, ulong id) => WriteSimple(output, FrameKind.Ping, id, ReadOnlySpan<byte>.Empty);

    /// <summary>Writes a Request (with a timeout) or a OneWay (without).</summary>
    public static void WriteCall(
        IBufferWriter<byte> output, FrameKind kind, ulong id, uint timeoutMilliseconds, string method, int methodBytes, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> payload)
    {
        var fields = (kind == FrameKind.Request ? 4 : 0) + 1 + methodBytes;
        var metadataLength = metadata.IsEmpty ? 0 : 2 + metadata.Length;
        var prefix = HeaderLength + fields + metadataLength;
        var length = prefix + payload.Length;
        var span = output.GetSpan(Math.Min(length, Math.Max(prefix, 4096)));
        WriteHeader(span, length, kind, metadata.IsEmpty ? (byte)0 : FlagMetadata, id);
        var at = HeaderLength;
        if (kind == FrameKind.Request)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[at..], timeoutMilliseconds);
            at += 4;
        }

        span[at++] = (byte)methodBytes;
        at += Encoding.UTF8.GetBytes(method, span[at..]);
        if (!metadata.IsEmpty)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)metadata.Length);
            metadata.CopyTo(span[(at + 2)..]);
            at += 2 + metadata.Length;
        }

        if (span.Length - at >= payload.Length)
        {
            payload.CopyTo(span[at..]);
            output.Advance(length);
            return;
        }

        output.Advance(at);
        output.Write(payload);
    }

    /// <summary>Writes an Error: the code, then the UTF-8 message as the payload (cut to fit <paramref name="maxFrameLength"/>).</summary>
    public static void WriteError(IBufferWriter<byte> output, ulong id, MessageErrorCode code, string message, int maxFrameLength)
    {
        var room = Math.Max(0, maxFrameLength - HeaderLength - 2);
        var messageBytes = Math.Min(Encoding.UTF8.GetByteCount(message), Math.Min(room, 4096));
        var length = HeaderLength + 2 + messageBytes;
        var span = output.GetSpan(length);
        WriteHeader(span, length, FrameKind.Error, 0, id);
        BinaryPrimitives.WriteUInt16BigEndian(span[HeaderLength..], (ushort)code);
        var target = span.Slice(HeaderLength + 2, messageBytes);
        if (!Encoding.UTF8.TryGetBytes(message, target, out _))
        {
            // Cut to fit: encode a prefix of characters that fits (a cut inside a character would make invalid UTF-8).
            var encoder = Encoding.UTF8.GetEncoder();
            encoder.Convert(message, target, flush: true, out _, out var written, out _);
            target[written..].Clear();
        }

        output.Advance(length);
    }

    /// <summary>Writes a Hello or HelloAck.</summary>
    public static void WriteHello(IBufferWriter<byte> output, FrameKind kind, in HelloFields hello, ReadOnlySpan<byte> metadata)
    {
        var metadataLength = metadata.IsEmpty ? 0 : 2 + metadata.Length;
        var length = HeaderLength + HelloFieldsLength + metadataLength;
        var span = output.GetSpan(length);
        WriteHeader(span, length, kind, metadata.IsEmpty ? (byte)0 : FlagMetadata, 0);
        var fields = span[HeaderLength..];
        BinaryPrimitives.WriteUInt16BigEndian(fields, hello.Version);
        BinaryPrimitives.WriteUInt32BigEndian(fields[2..], (uint)hello.MaxFrameLength);
        BinaryPrimitives.WriteUInt32BigEndian(fields[6..], (uint)hello.MaxRequestsInFlight);
        BinaryPrimitives.WriteUInt32BigEndian(fields[10..], (uint)hello.MaxBufferedBytes);
        BinaryPrimitives.WriteUInt32BigEndian(fields[14..], hello.PingIntervalMilliseconds);
        if (!metadata.IsEmpty)
        {
            BinaryPrimitives.WriteUInt16BigEndian(fields[HelloFieldsLength..], (ushort)metadata.Length);
            metadata.CopyTo(fields[(HelloFieldsLength + 2)..]);
        }

        output.Advance(length);
    }

    /// <summary>Writes a GoAway: the id is the last request id the sender accepted; the payload a UTF-8 reason.</summary>
    public static void WriteGoAway(IBufferWriter<byte> output, ulong lastAcceptedId, string reason)
    {
        var bytes = Encoding.UTF8.GetByteCount(reason);
        var length = HeaderLength + bytes;
        var span = output.GetSpan(length);
        WriteHeader(span, length, FrameKind.GoAway, 0, lastAcceptedId);
        Encoding.UTF8.GetBytes(reason, span[HeaderLength..]);
        output.Advance(length);
    }

    /// <summary>Encodes metadata entries: per entry a u8 key length, the UTF-8 key, a u16 value length, the UTF-8 value.</summary>
    public static byte[] EncodeMetadata(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var (key, value) in entries)
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            var keyBytes = Encoding.UTF8.GetByteCount(key);
            var valueBytes = Encoding.UTF8.GetByteCount(value);
            if (keyBytes is 0 or > 255 || valueBytes > ushort.MaxValue)
            {
                throw new ArgumentException($"A metadata key is 1 to 255 UTF-8 bytes and a value at most 65,535 ('{key}').", nameof(entries));
            }

            var span = buffer.GetSpan(3 + keyBytes + valueBytes);
            span[0] = (byte)keyBytes;
            Encoding.UTF8.GetBytes(key, span[1..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[(1 + keyBytes)..], (ushort)valueBytes);
            Encoding.UTF8.GetBytes(value, span[(3 + keyBytes)..]);
            buffer.Advance(3 + keyBytes + valueBytes);
        }

        if (buffer.WrittenCount > ushort.MaxValue)
        {
            throw new ArgumentException("The metadata is longer than 65,535 bytes.", nameof(entries));
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Finds the value of <paramref name="key"/> in a metadata block without decoding the other entries (the last one
    /// wins, as in <see cref="DecodeMetadata"/>); <see langword="null"/> when absent or when the block is malformed.
    /// </summary>
    public static string? FindMetadata(ReadOnlySpan<byte> block, string key)
    {
        Span<byte> wanted = stackalloc byte[255];
        if (!Encoding.UTF8.TryGetBytes(key, wanted, out var wantedLength) || wantedLength == 0)
        {
            return null;
        }

        wanted = wanted[..wantedLength];
        string? found = null;
        while (!block.IsEmpty)
        {
            int keyLength = block[0];
            if (keyLength == 0 || block.Length < 1 + keyLength + 2)
            {
                return null;
            }

            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(block[(1 + keyLength)..]);
            var start = 3 + keyLength;
            if (block.Length < start + valueLength)
            {
                return null;
            }

            if (block.Slice(1, keyLength).SequenceEqual(wanted))
            {
                found = Encoding.UTF8.GetString(block.Slice(start, valueLength));
            }

            block = block[(start + valueLength)..];
        }

        return found;
    }

    /// <summary>Decodes a metadata block (throws <see cref="Framing.InvalidFrameException"/> on bad bytes).</summary>
    public static IReadOnlyDictionary<string, string> DecodeMetadata(ReadOnlySpan<byte> block)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!block.IsEmpty)
        {
            int keyLength = block[0];
            if (keyLength == 0 || block.Length < 1 + keyLength + 2)
            {
                throw new Framing.InvalidFrameException("A metadata entry is cut short.");
            }

            var key = Encoding.UTF8.GetString(block.Slice(1, keyLength));
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(block[(1 + keyLength)..]);
            var start = 3 + keyLength;
            if (block.Length < start + valueLength)
            {
                throw new Framing.InvalidFrameException("A metadata value is cut short.");
            }

            result[key] = Encoding.UTF8.GetString(block.Slice(start, valueLength));
            block = block[(start + valueLength)..];
        }

        return result;
    }
}

/// <summary>The fields of a Hello or HelloAck.</summary>
internal readonly record struct HelloFields(ushort Version, int MaxFrameLength, int MaxRequestsInFlight, int MaxBufferedBytes, uint PingIntervalMilliseconds);
