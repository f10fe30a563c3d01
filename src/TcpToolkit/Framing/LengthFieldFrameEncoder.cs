using System.Buffers;
using System.Buffers.Binary;

namespace TcpToolkit.Framing;

/// <summary>
/// Prepends a length field to each payload (the equivalent of Netty's <c>LengthFieldPrepender</c>), writing header
/// and payload into one buffer from a single <see cref="IBufferWriter{T}.GetSpan"/> whenever the output can
/// provide one that large. Stateless and thread-safe; one instance can serve every connection.
/// </summary>
/// <remarks>
/// The encoder writes the inverse of what <see cref="LengthFieldFrameDecoder"/> reads, so it requires
/// <see cref="LengthFieldCodecOptions.LengthFieldOffset"/> = 0 and <see cref="LengthFieldCodecOptions.InitialBytesToStrip"/>
/// = <see cref="LengthFieldCodecOptions.LengthFieldSize"/> (the field comes first and the payload is what follows it).
/// </remarks>
public sealed class LengthFieldFrameEncoder : IFrameEncoder<ReadOnlyMemory<byte>>, IFrameEncoder<ReadOnlySequence<byte>>
{
    private readonly int _fieldSize;
    private readonly bool _isLittleEndian;
    private readonly int _adjustment;
    private readonly int _maxFrameLength;
    private readonly ulong _maxFieldValue;

    /// <summary>Creates an encoder.</summary>
    /// <param name="options">The codec options.</param>
    /// <exception cref="ArgumentException">The options describe a header the encoder cannot produce (an offset before the field, or a strip count other than the field size).</exception>
    public LengthFieldFrameEncoder(LengthFieldCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LengthFieldOffset != 0 || options.InitialBytesToStrip != options.LengthFieldSize)
        {
            throw new ArgumentException(
                "The encoder writes the length field first and the payload after it: LengthFieldOffset must be 0 and InitialBytesToStrip must equal LengthFieldSize.",
                nameof(options));
        }

        _fieldSize = options.LengthFieldSize;
        _isLittleEndian = options.IsLittleEndian;
        _adjustment = options.LengthAdjustment;
        _maxFrameLength = options.MaxFrameLength;
        _maxFieldValue = _fieldSize == 8 ? ulong.MaxValue : (1UL << (8 * _fieldSize)) - 1;
    }

    /// <inheritdoc />
    public void Encode(ReadOnlyMemory<byte> frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var payload = frame.Span;
        var total = CheckedTotalLength(payload.Length);
        var span = output.GetSpan(total);
        if (span.Length >= total)
        {
            WriteField(span, payload.Length);
            payload.CopyTo(span[_fieldSize..]);
            output.Advance(total);
            return;
        }

        // The output cannot hand out one buffer this large (a bounded writer); write the header, then the payload in pieces.
        WriteHeader(output, payload.Length);
        output.Write(payload);
    }

    /// <inheritdoc />
    public void Encode(ReadOnlySequence<byte> frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var length = frame.Length > int.MaxValue ? throw new FrameTooLargeException(frame.Length, _maxFrameLength) : (int)frame.Length;
        var total = CheckedTotalLength(length);
        var span = output.GetSpan(total);
        if (span.Length >= total)
        {
            WriteField(span, length);
            frame.CopyTo(span[_fieldSize..]);
            output.Advance(total);
            return;
        }

        WriteHeader(output, length);
        foreach (var segment in frame)
        {
            output.Write(segment.Span);
        }
    }

    private int CheckedTotalLength(int payloadLength)
    {
        var total = (long)_fieldSize + payloadLength;
        if (total > _maxFrameLength)
        {
            throw new FrameTooLargeException(total, _maxFrameLength);
        }

        var value = (long)payloadLength - _adjustment;
        if (value < 0)
        {
            throw new ArgumentException($"A payload of {payloadLength} bytes is too short for the length adjustment {_adjustment}.");
        }

        if ((ulong)value > _maxFieldValue)
        {
            throw new FrameTooLargeException($"A payload of {payloadLength} bytes does not fit a {_fieldSize}-byte length field.", payloadLength, (long)Math.Min(_maxFieldValue, int.MaxValue));
        }

        return (int)total;
    }

    private void WriteHeader(IBufferWriter<byte> output, int payloadLength)
    {
        WriteField(output.GetSpan(_fieldSize), payloadLength);
        output.Advance(_fieldSize);
    }

    private void WriteField(Span<byte> destination, int payloadLength)
    {
        // Range was checked in CheckedTotalLength, so the narrowing casts below cannot lose bits.
        var value = (ulong)((long)payloadLength - _adjustment);
        switch (_fieldSize)
        {
            case 1:
                destination[0] = (byte)value;
                break;
            case 2:
                if (_isLittleEndian)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)value);
                }

                break;
            case 3:
                destination[_isLittleEndian ? 0 : 2] = (byte)value;
                destination[1] = (byte)(value >> 8);
                destination[_isLittleEndian ? 2 : 0] = (byte)(value >> 16);
                break;
            case 4:
                if (_isLittleEndian)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)value);
                }

                break;
            default:
                if (_isLittleEndian)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(destination, value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt64BigEndian(destination, value);
                }

                break;
        }
    }
}
