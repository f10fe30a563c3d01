using System.Collections.ObjectModel;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Configures <see cref="DelimiterFrameDecoder"/> and <see cref="DelimiterFrameEncoder"/>: frames that end with a
/// delimiter such as a line feed. Immutable once built, so one instance can serve every connection.
/// </summary>
public sealed class DelimiterCodecOptions
{
    private readonly ReadOnlyCollection<ReadOnlyMemory<byte>> _delimiters = Array.AsReadOnly(new[] { new ReadOnlyMemory<byte>([(byte)'\n']) });
    private readonly int _maxFrameLength = FramingDefaults.MaxFrameLength;
    private readonly FrameRecoveryPolicy _recoveryPolicy;

    /// <summary>Gets options for lines ending in LF (<c>\n</c>), delimiter stripped.</summary>
    public static DelimiterCodecOptions LineFeed { get; } = new();

    /// <summary>Gets options for lines ending in CRLF (<c>\r\n</c>), delimiter stripped.</summary>
    public static DelimiterCodecOptions CrLf { get; } = new() { Delimiters = [new byte[] { (byte)'\r', (byte)'\n' }] };

    /// <summary>
    /// Gets the delimiters. A frame ends at the earliest delimiter found (the longest if two start at the same byte);
    /// the encoder appends the first one. The list and its bytes are copied on assignment. Defaults to a single LF (<c>\n</c>).
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    /// <exception cref="ArgumentException">The list is empty or a delimiter is empty.</exception>
    public IReadOnlyList<ReadOnlyMemory<byte>> Delimiters
    {
        get => _delimiters;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count == 0)
            {
                throw new ArgumentException("At least one delimiter is required.", nameof(value));
            }

            var copy = new ReadOnlyMemory<byte>[value.Count];
            for (var i = 0; i < copy.Length; i++)
            {
                copy[i] = SequenceSearch.CopyMarker(value[i], nameof(value));
            }

            _delimiters = Array.AsReadOnly(copy);
        }
    }

    /// <summary>Gets a value indicating whether decoded frames end with their delimiter. Defaults to <see langword="false"/> (stripped).</summary>
    public bool IncludeDelimiter { get; init; }

    /// <summary>
    /// Gets the longest frame accepted, in bytes, not counting the delimiter. The decoder never buffers more than
    /// this plus one delimiter while it looks for the end of a frame. Defaults to 1 MiB (1,048,576).
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

    /// <summary>
    /// Gets what the decoder does with a frame longer than <see cref="MaxFrameLength"/>. Defaults to
    /// <see cref="FrameRecoveryPolicy.Throw"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined policy.</exception>
    public FrameRecoveryPolicy RecoveryPolicy
    {
        get => _recoveryPolicy;
        init => _recoveryPolicy = FramingDefaults.Defined(value, nameof(value));
    }
}
