using System.Buffers;
using TcpToolkit.Framing;

namespace TcpToolkit.Messaging.Internal;

/// <summary>One decoded frame. The slices point into the pipe's buffer and are valid until the next read.</summary>
internal readonly struct MessageFrame
{
    public FrameKind Kind { get; init; }

    public ulong Id { get; init; }

    /// <summary>Gets the timeout of a Request in milliseconds (0: none).</summary>
    public uint TimeoutMilliseconds { get; init; }

    /// <summary>Gets the code of an Error.</summary>
    public MessageErrorCode ErrorCode { get; init; }

    /// <summary>Gets the fields of a Hello or HelloAck.</summary>
    public HelloFields Hello { get; init; }

    /// <summary>Gets the UTF-8 method of a Request or OneWay.</summary>
    public ReadOnlySequence<byte> Method { get; init; }

    /// <summary>Gets the metadata block without its length (empty when the flag is off).</summary>
    public ReadOnlySequence<byte> Metadata { get; init; }

    public ReadOnlySequence<byte> Payload { get; init; }
}

/// <summary>
/// Decodes frames of protocol version 1: a <see cref="LengthFieldFrameDecoder"/> (4-byte big-endian length of what
/// follows) finds the frame, then the header and the kind's fields are read from its start. Any malformed frame is an
/// <see cref="InvalidFrameException"/> (a protocol error that closes the connection).
/// </summary>
internal sealed class MessageFrameDecoder : IFrameDecoder<MessageFrame>
{
    private readonly LengthFieldFrameDecoder _frames;

    public MessageFrameDecoder(int maxFrameLength)
    {
        _frames = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 4, MaxFrameLength = maxFrameLength });
    }

    public bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out MessageFrame frame)
    {
        if (!_frames.TryDecode(input, ref consumed, ref examined, out var body))
        {
            frame = default;
            return false;
        }

        frame = Parse(body);
        return true;
    }

    /// <summary>Parses a frame body (everything after the length field).</summary>
    public static MessageFrame Parse(ReadOnlySequence<byte> body)
    {
        var reader = new SequenceReader<byte>(body);
        if (!reader.TryRead(out var kindByte) || !reader.TryRead(out var flags) || !reader.TryReadBigEndian(out long id))
        {
            throw new InvalidFrameException($"A message frame needs at least {Wire.HeaderLength - 4} bytes after the length field; this one has {body.Length}.");
        }

        var kind = (FrameKind)kindByte;
        if (kind is < FrameKind.Hello or > FrameKind.GoAway)
        {
            throw new InvalidFrameException($"Unknown message kind {kindByte}.");
        }

        if ((flags & ~Wire.FlagMetadata) != 0)
        {
            throw new InvalidFrameException($"Unknown flags 0x{flags:x2} on a {kind} frame.");
        }

        uint timeout = 0;
        MessageErrorCode code = default;
        HelloFields hello = default;
        var method = ReadOnlySequence<byte>.Empty;
        switch (kind)
        {
            case FrameKind.Hello or FrameKind.HelloAck:
                if (!reader.TryReadBigEndian(out short version) || !reader.TryReadBigEndian(out int maxFrame)
                    || !reader.TryReadBigEndian(out int maxInFlight) || !reader.TryReadBigEndian(out int maxBytes)
                    || !reader.TryReadBigEndian(out int ping))
                {
                    throw new InvalidFrameException($"A {kind} frame is cut short.");
                }

                hello = new HelloFields(unchecked((ushort)version), maxFrame, maxInFlight, maxBytes, unchecked((uint)ping));
                break;
            case FrameKind.Request:
                if (!reader.TryReadBigEndian(out int timeoutValue))
                {
                    throw new InvalidFrameException("A request frame is cut short.");
                }

                timeout = unchecked((uint)timeoutValue);
                method = ReadMethod(ref reader);
                break;
            case FrameKind.OneWay:
                method = ReadMethod(ref reader);
                break;
            case FrameKind.Error:
                if (!reader.TryReadBigEndian(out short codeValue))
                {
                    throw new InvalidFrameException("An error frame is cut short.");
                }

                code = (MessageErrorCode)unchecked((ushort)codeValue);
                break;
        }

        var metadata = ReadOnlySequence<byte>.Empty;
        if ((flags & Wire.FlagMetadata) != 0)
        {
            if (!reader.TryReadBigEndian(out short metadataLength) || reader.Remaining < unchecked((ushort)metadataLength))
            {
                throw new InvalidFrameException("A metadata block is cut short.");
            }

            metadata = reader.UnreadSequence.Slice(0, unchecked((ushort)metadataLength));
            reader.Advance(unchecked((ushort)metadataLength));
        }

        return new MessageFrame
        {
            Kind = kind,
            Id = unchecked((ulong)id),
            TimeoutMilliseconds = timeout,
            ErrorCode = code,
            Hello = hello,
            Method = method,
            Metadata = metadata,
            Payload = reader.UnreadSequence,
        };
    }

    private static ReadOnlySequence<byte> ReadMethod(ref SequenceReader<byte> reader)
    {
        if (!reader.TryRead(out var length) || reader.Remaining < length)
        {
            throw new InvalidFrameException("A method name is cut short.");
        }

        var method = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        return method;
    }
}
