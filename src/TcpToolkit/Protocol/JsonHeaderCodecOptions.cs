using TcpToolkit.Framing;

namespace TcpToolkit.Protocol;

/// <summary>
/// Settings shared by <see cref="JsonHeaderDecoder"/> and <see cref="JsonHeaderEncoder"/>. Immutable once built,
/// so one instance can serve every connection.
/// </summary>
public sealed class JsonHeaderCodecOptions
{
    /// <summary>The default for <see cref="MaxContentLength"/>: 1 MiB.</summary>
    public const int DefaultMaxContentLength = 1_048_576;

    /// <summary>The most JSON header bytes a frame can carry: the proto-header is an unsigned 16-bit length.</summary>
    public const int MaxHeaderLength = ushort.MaxValue;

    /// <summary>Gets options with every default.</summary>
    public static JsonHeaderCodecOptions Default { get; } = new();

    /// <summary>
    /// Gets the largest <c>content-length</c> accepted, in bytes. The decoder rejects a larger announced length with
    /// <see cref="FrameTooLargeException"/> as soon as the JSON header is parsed, before any content is buffered;
    /// the encoder refuses to write a larger message. Defaults to 1 MiB (1,048,576).
    /// </summary>
    /// <remarks>
    /// The guide's Python programs have no limit and buffer whatever a peer announces. A large value lets one
    /// untrusted peer hold that much memory per connection; the length of the JSON header itself is bounded by its
    /// 2-byte field (<see cref="MaxHeaderLength"/>).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or above <see cref="Array.MaxLength"/>.</exception>
    public int MaxContentLength
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            // The decoder hands the content out as one array.
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength);
            field = value;
        }
    } = DefaultMaxContentLength;

    /// <summary>
    /// Gets the <c>byteorder</c> value the encoder writes: <c>"little"</c> or <c>"big"</c>. Defaults to
    /// <see cref="JsonHeaderMessage.HostByteOrder"/>, as Python's <c>sys.byteorder</c> of the sender.
    /// </summary>
    /// <remarks>
    /// A test seam, not API (issue #11): receivers ignore the value, so only tests, golden vectors and the fuzz corpus,
    /// which need the same bytes on every machine, set it.
    /// </remarks>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The value is neither <c>"little"</c> nor <c>"big"</c>.</exception>
    internal string ByteOrder
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value is not (JsonHeaderMessage.LittleEndianByteOrder or JsonHeaderMessage.BigEndianByteOrder))
            {
                throw new ArgumentException($"The byte order must be \"little\" or \"big\", not \"{value}\".", nameof(value));
            }

            field = value;
        }
    } = JsonHeaderMessage.HostByteOrder;
}
