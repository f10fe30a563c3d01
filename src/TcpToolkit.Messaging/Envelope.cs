using System.Buffers;
using System.Buffers.Binary;
using TcpToolkit.Framing;

namespace TcpToolkit.Messaging;

/// <summary>One decoded envelope: kind, request id and payload. The payload is a slice of the pipe's buffer.</summary>
internal readonly struct Envelope(MessageKind kind, uint id, ReadOnlySequence<byte> payload)
{
    /// <summary>Bytes before the payload on the wire: the 4-byte length, the kind and the 4-byte id.</summary>
    public const int HeaderLength = 4 + BodyHeaderLength;

    /// <summary>Bytes the length field counts besides the payload: the kind and the id.</summary>
    public const int BodyHeaderLength = 1 + 4;

    /// <summary>The default maximum frame length of both ends: 1 MiB, as the framing codecs' default.</summary>
    public const int DefaultMaxFrameLength = 1_048_576;

    public MessageKind Kind { get; } = kind;

    public uint Id { get; } = id;

    public ReadOnlySequence<byte> Payload { get; } = payload;

    /// <summary>Throws <see cref="FrameTooLargeException"/> unless a payload of this length fits in <paramref name="maxFrameLength"/>.</summary>
    public static void CheckLength(int payloadLength, int maxFrameLength)
    {
        var total = (long)HeaderLength + payloadLength;
        if (total > maxFrameLength)
        {
            throw new FrameTooLargeException(total, maxFrameLength);
        }
    }

    /// <summary>Writes one envelope; the caller checked the length with <see cref="CheckLength"/> and holds the write lock.</summary>
    public static void Write(IBufferWriter<byte> output, MessageKind kind, uint id, ReadOnlySpan<byte> payload)
    {
        var total = HeaderLength + payload.Length;
        var span = output.GetSpan(total);
        if (span.Length >= total)
        {
            WriteHeader(span, kind, id, payload.Length);
            payload.CopyTo(span[HeaderLength..]);
            output.Advance(total);
            return;
        }

        // A bounded writer that cannot hand out one buffer this large: header first, then the payload in pieces.
        WriteHeader(output.GetSpan(HeaderLength), kind, id, payload.Length);
        output.Advance(HeaderLength);
        output.Write(payload);
    }

    private static void WriteHeader(Span<byte> span, MessageKind kind, uint id, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)(BodyHeaderLength + payloadLength));
        span[4] = (byte)kind;
        BinaryPrimitives.WriteUInt32BigEndian(span[5..], id);
    }
}

/// <summary>
/// Decodes envelopes: a <see cref="LengthFieldFrameDecoder"/> (4-byte big-endian length of what follows) finds the frame,
/// then the kind byte and the 4-byte big-endian id are read from its start. Keeps no state; one per connection anyway.
/// </summary>
internal sealed class EnvelopeDecoder : IFrameDecoder<Envelope>
{
    private readonly LengthFieldFrameDecoder _frames;

    public EnvelopeDecoder(int maxFrameLength)
    {
        _frames = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 4, MaxFrameLength = maxFrameLength });
    }

    public bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out Envelope frame)
    {
        if (!_frames.TryDecode(input, ref consumed, ref examined, out var body))
        {
            frame = default;
            return false;
        }

        if (body.Length < Envelope.BodyHeaderLength)
        {
            throw new InvalidFrameException($"A message envelope needs at least {Envelope.BodyHeaderLength} bytes after the length field; this one has {body.Length}.");
        }

        var reader = new SequenceReader<byte>(body);
        reader.TryRead(out var kindByte);
        reader.TryReadBigEndian(out int id);
        var kind = (MessageKind)kindByte;
        if (kind is < MessageKind.Request or > MessageKind.Pong)
        {
            throw new InvalidFrameException($"Unknown message kind {kindByte}.");
        }

        frame = new Envelope(kind, unchecked((uint)id), body.Slice(Envelope.BodyHeaderLength));
        return true;
    }
}
