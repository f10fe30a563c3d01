using System.Buffers;
using TcpToolkit.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Decodes frames that end with a delimiter (the equivalent of Netty's <c>DelimiterBasedFrameDecoder</c>). Frames are
/// slices of the input (no copy).
/// </summary>
/// <remarks>
/// No more than <see cref="DelimiterCodecOptions.MaxFrameLength"/> plus one delimiter is ever buffered: a longer frame
/// throws <see cref="FrameTooLargeException"/>, or with <see cref="FrameRecoveryPolicy.Discard"/> is dropped up to the
/// next delimiter while the bytes arrive. The decoder remembers that it is discarding, so use one instance per connection.
/// </remarks>
public sealed class DelimiterFrameDecoder : IFrameDecoder<ReadOnlySequence<byte>>, IFrameDiscardSource
{
    private readonly byte[][] _delimiters;
    private readonly int _longestDelimiter;
    private readonly int _maxFrameLength;
    private readonly bool _includeDelimiter;
    private readonly bool _discard;
    private bool _discarding;

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">The codec options; see <see cref="DelimiterCodecOptions.LineFeed"/> and <see cref="DelimiterCodecOptions.CrLf"/>.</param>
    public DelimiterFrameDecoder(DelimiterCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _delimiters = options.Delimiters.Select(d => d.ToArray()).ToArray();
        _longestDelimiter = _delimiters.Max(d => d.Length);
        _maxFrameLength = options.MaxFrameLength;
        _includeDelimiter = options.IncludeDelimiter;
        _discard = options.RecoveryPolicy == FrameRecoveryPolicy.Discard;
    }

    /// <inheritdoc />
    public long DiscardedFrameCount { get; private set; }

    /// <inheritdoc />
    public FrameDiscardReason LastDiscardReason { get; private set; }

    /// <inheritdoc />
    public long LastDiscardedByteCount { get; private set; }

    /// <inheritdoc />
    public bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out ReadOnlySequence<byte> frame)
    {
        var buffer = input;
        while (true)
        {
            if (_discarding)
            {
                var end = SequenceSearch.IndexOfAny(buffer, _delimiters, out var length);
                if (end < 0)
                {
                    // Drop what arrived, but keep a possible partial delimiter at the end: it may complete in the next read.
                    var keep = Math.Min(buffer.Length, _longestDelimiter - 1);
                    consumed = buffer.GetPosition(buffer.Length - keep);
                    examined = input.End;
                    frame = default;
                    return false;
                }

                _discarding = false;
                buffer = buffer.Slice(end + length);
                consumed = buffer.Start;
                continue;
            }

            // A delimiter starting after MaxFrameLength means a frame that is too long, so search no further than that.
            var window = Math.Min(buffer.Length, (long)_maxFrameLength + _longestDelimiter);
            var index = SequenceSearch.IndexOfAny(buffer.Slice(0, window), _delimiters, out var delimiterLength);
            if (index >= 0 && index <= _maxFrameLength)
            {
                frame = buffer.Slice(0, _includeDelimiter ? index + delimiterLength : index);
                consumed = examined = buffer.GetPosition(index + delimiterLength);
                return true;
            }

            if (index > _maxFrameLength)
            {
                // The whole oversized frame is buffered: drop it with its delimiter.
                Reject(index, index + delimiterLength);
                buffer = buffer.Slice(index + delimiterLength);
                consumed = buffer.Start;
                continue;
            }

            if (window == (long)_maxFrameLength + _longestDelimiter)
            {
                // No delimiter can end a frame of at most MaxFrameLength any more: fail (or start discarding) now.
                var observed = window - (_longestDelimiter - 1);
                Reject(observed, observed);
                _discarding = true;
                continue;
            }

            examined = input.End;
            frame = default;
            return false;
        }
    }

    private void Reject(long frameLength, long discardedBytes)
    {
        if (!_discard)
        {
            throw new FrameTooLargeException(frameLength, _maxFrameLength);
        }

        DiscardedFrameCount++;
        LastDiscardReason = FrameDiscardReason.FrameTooLarge;
        LastDiscardedByteCount = discardedBytes;
    }
}
