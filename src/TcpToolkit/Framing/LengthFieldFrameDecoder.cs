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

    // The field values TryDecode accepts (every check it makes, folded into one range) for WireLengthOf.
    private readonly long _minValue;
    private readonly long _maxValue;

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

        // frameLength = value + adjustment + header must be at least the header, at least the bytes to strip, and at
        // most MaxFrameLength (an int, so this also keeps every value far below the "too large to adjust" limit).
        _minValue = Math.Max(0, Math.Max(-(long)_adjustment, (long)_strip - _headerLength - _adjustment));
        _maxValue = (long)_maxFrameLength - _adjustment - _headerLength;
        if (_maxValue < _minValue)
        {
            // No value is valid (every header fails a check): an empty range of non-negative bounds.
            (_minValue, _maxValue) = (1, 0);
        }
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

    /// <summary>
    /// The run reader's fast path: the wire length (header included) of the frame whose header begins
    /// <paramref name="span"/>, when the whole header is in it and passes every check <see cref="TryDecode"/> makes;
    /// 0 when the span is shorter than the header; -1 when <see cref="TryDecode"/> would throw for this header.
    /// </summary>
    internal long WireLengthOf(ReadOnlySpan<byte> span)
    {
        if (span.Length < _headerLength)
        {
            return 0;
        }

        var value = Read(span.Slice(_fieldOffset, _fieldSize));
        return value >= (ulong)_minValue && value <= (ulong)_maxValue ? (long)value + _adjustment + _headerLength : -1;
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
