using TcpToolkit.Framing.Internal;


namespace TcpToolkit.Framing;

/// <summary>
/// Configures <see cref="LengthFieldFrameDecoder"/> and <see cref="LengthFieldFrameEncoder"/>: frames that announce
/// their length in a header field. Immutable once built, so one instance can serve every connection.
/// </summary>
/// <remarks>
/// <para>A frame on the wire is read as: <see cref="LengthFieldOffset"/> bytes, the length field, then
/// <c>field value + <see cref="LengthAdjustment"/></c> more bytes. Its total length is therefore
/// <c>LengthFieldOffset + LengthFieldSize + value + LengthAdjustment</c>; the decoder hands out the frame
/// without its first <see cref="InitialBytesToStrip"/> bytes.</para>
/// <para>Examples: a 2-byte big-endian length of the payload (<see cref="UInt16BigEndian"/>); a 4-byte length that
/// counts itself: <c>new LengthFieldCodecOptions { LengthAdjustment = -4 }</c>; keep the header in the frame:
/// <c>InitialBytesToStrip = 0</c>.</para>
/// </remarks>
public sealed class LengthFieldCodecOptions
{
    private readonly int _maxFrameLength = FramingDefaults.MaxFrameLength;
    private readonly int _lengthFieldOffset;
    private readonly int _lengthFieldSize = 4;
    private readonly int? _initialBytesToStrip;

    /// <summary>Gets options for a 2-byte big-endian (network order) length of the payload, stripped from the frame.</summary>
    public static LengthFieldCodecOptions UInt16BigEndian { get; } = new() { LengthFieldSize = 2 };

    /// <summary>Gets options for a 4-byte big-endian (network order) length of the payload, stripped from the frame.</summary>
    public static LengthFieldCodecOptions UInt32BigEndian { get; } = new() { LengthFieldSize = 4 };

    /// <summary>
    /// Gets the largest frame accepted, in bytes, counted over the whole frame on the wire (header included).
    /// The decoder rejects a larger length as soon as it reads the field, before buffering the payload.
    /// Defaults to 1 MiB (1,048,576). Raising it lets a peer make this side buffer that much per connection.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int MaxFrameLength
    {
        get => _maxFrameLength;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxFrameLength = value;
        }
    }

    /// <summary>Gets how many bytes precede the length field. Defaults to 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int LengthFieldOffset
    {
        get => _lengthFieldOffset;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _lengthFieldOffset = value;
        }
    }

    /// <summary>Gets the size of the length field in bytes: 1, 2, 3, 4 or 8. The field is unsigned. Defaults to 4.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not 1, 2, 3, 4 or 8.</exception>
    public int LengthFieldSize
    {
        get => _lengthFieldSize;
        init
        {
            if (value is not (1 or 2 or 3 or 4 or 8))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The length field size must be 1, 2, 3, 4 or 8 bytes.");
            }

            _lengthFieldSize = value;
        }
    }

    /// <summary>Gets a value indicating whether the length field is little-endian. Defaults to <see langword="false"/> (big-endian, network order).</summary>
    public bool IsLittleEndian { get; init; }

    /// <summary>
    /// Gets the number added to the field value to get the count of bytes that follow the field. Use a negative value
    /// when the length counts the header (for example -4 for a 4-byte length that includes itself). Defaults to 0.
    /// </summary>
    public int LengthAdjustment { get; init; }

    /// <summary>
    /// Gets how many bytes to drop from the start of each decoded frame. Defaults to the end of the length field
    /// (<see cref="LengthFieldOffset"/> + <see cref="LengthFieldSize"/>), so frames are the payload only; set 0 to keep the header.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int InitialBytesToStrip
    {
        get => _initialBytesToStrip ?? (_lengthFieldOffset + _lengthFieldSize);
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _initialBytesToStrip = value;
        }
    }
}
