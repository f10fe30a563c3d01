using TcpToolkit.Framing.Internal;


namespace TcpToolkit.Framing;

/// <summary>
/// Configures <see cref="FixedSizeFrameDecoder"/> and <see cref="FixedSizeFrameEncoder"/>: every frame has the same
/// length. Immutable once built, so one instance can serve every connection.
/// </summary>
public sealed class FixedSizeCodecOptions
{
    private readonly int _frameLength;
    private readonly int _maxFrameLength = FramingDefaults.MaxFrameLength;

    /// <summary>Gets the length of every frame in bytes. Required; it must not exceed <see cref="MaxFrameLength"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public required int FrameLength
    {
        get => _frameLength;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _frameLength = value;
        }
    }

    /// <summary>
    /// Gets the largest frame length these options may configure, a guard against a configuration that makes every
    /// connection buffer a huge frame. Defaults to 1 MiB (1,048,576).
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

    /// <summary>Checks the rule that spans two properties (init setters cannot: they run in any order).</summary>
    internal void Validate()
    {
        if (_frameLength > _maxFrameLength)
        {
            throw new ArgumentException($"FrameLength ({_frameLength}) exceeds MaxFrameLength ({_maxFrameLength}).", "options");
        }
    }
}
