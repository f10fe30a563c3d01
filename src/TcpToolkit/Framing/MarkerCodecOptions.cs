using TcpToolkit.Framing.Internal;



namespace TcpToolkit.Framing;

/// <summary>
/// Configures <see cref="MarkerFrameDecoder"/> and <see cref="MarkerFrameEncoder"/>: frames enclosed in a start and
/// an end marker, STX ... ETX style. Immutable once built, so one instance can serve every connection.
/// </summary>
/// <remarks>There is no escaping: a payload must not contain the end marker.</remarks>
public sealed class MarkerCodecOptions
{
    private readonly ReadOnlyMemory<byte> _startMarker = new byte[] { 0x02 };
    private readonly ReadOnlyMemory<byte> _endMarker = new byte[] { 0x03 };
    private readonly int _maxFrameLength = FramingDefaults.MaxFrameLength;
    private readonly FrameRecoveryPolicy _recoveryPolicy;

    /// <summary>Gets the bytes that open a frame; copied on assignment. Defaults to STX (0x02).</summary>
    /// <exception cref="ArgumentException">The value is empty.</exception>
    public ReadOnlyMemory<byte> StartMarker
    {
        get => _startMarker;
        init => _startMarker = SequenceSearch.CopyMarker(value, nameof(value));
    }

    /// <summary>Gets the bytes that close a frame; copied on assignment. Defaults to ETX (0x03).</summary>
    /// <exception cref="ArgumentException">The value is empty.</exception>
    public ReadOnlyMemory<byte> EndMarker
    {
        get => _endMarker;
        init => _endMarker = SequenceSearch.CopyMarker(value, nameof(value));
    }

    /// <summary>Gets a value indicating whether decoded frames keep their markers. Defaults to <see langword="false"/> (payload only).</summary>
    public bool IncludeMarkers { get; init; }

    /// <summary>
    /// Gets the longest payload accepted, in bytes, not counting the markers. The decoder never buffers more than this
    /// plus the markers while it looks for the end marker. Defaults to 1 MiB (1,048,576).
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
    /// Gets what the decoder does with bytes before a start marker (<see cref="InvalidFrameException"/>) and with a
    /// payload longer than <see cref="MaxFrameLength"/> (<see cref="FrameTooLargeException"/>): throw, or discard them
    /// and resynchronise on the next start marker. Defaults to <see cref="FrameRecoveryPolicy.Throw"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined policy.</exception>
    public FrameRecoveryPolicy RecoveryPolicy
    {
        get => _recoveryPolicy;
        init => _recoveryPolicy = FramingDefaults.Defined(value, nameof(value));
    }
}
