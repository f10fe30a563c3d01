using System.Buffers;
using System.Buffers.Binary;

namespace TcpToolkit.Framing;

/// <summary>
/// Decodes frames that carry their length in a header field (the equivalent of Netty's
/// <c>LengthFieldBasedFrameDecoder</c>). Frames are slices of the input (no copy).
/// </summary>
/// <remarks>
/// The length is checked as soon as the field has arrived: above <see cref="LengthFieldCodecOptions.MaxFrameLength"/>
/// throws <see cref="FrameTooLargeException"/> before any payload is buffered; a value beyond <see cref="int.MaxValue"/>,
/// negative after <see cref="LengthFieldCodecOptions.LengthAdjustment"/> or shorter than
/// <see cref="LengthFieldCodecOptions.InitialBytesToStrip"/> throws <see cref="InvalidFrameException"/>. This decoder keeps
/// no state between calls.
/// </remarks>
public sealed class LengthFieldFrameDecoder : IFrameDecoder<ReadOnlySequence<byte>>
{
    private readonly int _fieldOffset;
    private readonly int _fieldSize;
    private readonly int _headerLength;
    private readonly bool _isLittleEndian;
    private readonly int _adjustment;
    private readonly int _strip;
    private readonly int _maxFrameLength;

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">The codec options; see <see cref="LengthFieldCodecOptions.UInt32BigEndian"/> and <see cref="LengthFieldCodecOptions.UInt16BigEndian"/>.</param>
    public LengthFieldFrameDecoder(LengthFieldCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _fieldOffset = options.LengthFieldOffset;
        _fieldSize = options.LengthFieldSize;
        _headerLength = checked(_fieldOffset + _fieldSize);
        _isLittleEndian = options.IsLittleEndian;
        _adjustment = options.LengthAdjustment;
        _strip = options.InitialBytesToStrip;
        _maxFrameLength = options.MaxFrameLength;
    }

    /// <inheritdoc />
    public bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out ReadOnlySequence<byte> frame)
    {
        if (input.Length < _headerLength)
        {
            frame = default;
            examined = input.End;
            return false;
        }

        var value = ReadLengthField(input);
        if (value > int.MaxValue + (ulong)int.MaxValue)
        {
            // A valid unsigned length, just far above any limit (no int adjustment brings it back): too large, not
            // malformed, and refused before a byte of payload is buffered.
            throw new FrameTooLargeException(
                $"Length field value {value} exceeds the maximum frame length {_maxFrameLength}.",
                value > long.MaxValue ? long.MaxValue : (long)value,
                _maxFrameLength);
        }

        var frameLength = (long)value + _adjustment + _headerLength;
        if (frameLength < _headerLength)
        {
            throw new InvalidFrameException($"Length field value {value} with adjustment {_adjustment} gives a negative length.");
        }

        if (frameLength < _strip)
        {
            throw new InvalidFrameException($"Frame length {frameLength} is shorter than the {_strip} bytes to strip.");
        }

        if (frameLength > _maxFrameLength)
        {
            throw new FrameTooLargeException(frameLength, _maxFrameLength);
        }

        if (input.Length < frameLength)
        {
            frame = default;
            examined = input.End;
            return false;
        }

        frame = input.Slice(_strip, frameLength - _strip);
        consumed = examined = frame.End;
        return true;
    }

    private ulong ReadLengthField(in ReadOnlySequence<byte> input)
    {
        var first = input.FirstSpan;
        if (first.Length >= _headerLength)
        {
            return Read(first.Slice(_fieldOffset, _fieldSize));
        }

        // The header straddles segments: gather just the field (at most 8 bytes) on the stack.
        Span<byte> field = stackalloc byte[8];
        field = field[.._fieldSize];
        input.Slice(_fieldOffset, _fieldSize).CopyTo(field);
        return Read(field);
    }

    private ulong Read(ReadOnlySpan<byte> field) => _fieldSize switch
    {
        1 => field[0],
        2 => _isLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(field) : BinaryPrimitives.ReadUInt16BigEndian(field),
        3 => _isLittleEndian
            ? (ulong)(field[0] | (field[1] << 8) | (field[2] << 16))
            : (ulong)((field[0] << 16) | (field[1] << 8) | field[2]),
        4 => _isLittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(field) : BinaryPrimitives.ReadUInt32BigEndian(field),
        _ => _isLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(field) : BinaryPrimitives.ReadUInt64BigEndian(field),
    };
}
