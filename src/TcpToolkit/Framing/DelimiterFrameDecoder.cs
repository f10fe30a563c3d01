using System.Buffers;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Decodes frames that end with a delimiter (the equivalent of Netty's <c>DelimiterBasedFrameDecoder</c>). Frames are
/// slices of the input (no copy).
/// </summary>
/// <remarks>
/// No more than <see cref="DelimiterCodecOptions.MaxFrameLength"/> plus one delimiter is ever buffered: a longer frame
/// throws <see cref="FrameTooLargeException"/>, or with <see cref="FrameRecoveryPolicy.Discard"/> is dropped up to the
/// next delimiter while the bytes arrive. The decoder remembers that it is discarding, and how far it has already searched
/// an incomplete frame (so each byte is searched once, however it is chunked), so use one instance per connection and
/// pass it the same bytes again, plus new ones, after it returns <see langword="false"/>, as <see cref="FrameReader"/> does.
/// </remarks>
public sealed class DelimiterFrameDecoder : IFrameDecoder<ReadOnlySequence<byte>>, IFrameDiscardSource
{
    private readonly byte[][] _delimiters;
    private readonly int _longestDelimiter;
    private readonly int _maxFrameLength;
    private readonly bool _includeDelimiter;
    private readonly bool _discard;
    private bool _discarding;

    // Bytes at the start of the pending frame already searched without finding a delimiter. The next call resumes
    // there, so a long line arriving in many small reads is scanned once, not once per read (a CPU-exhaustion vector).
    private long _scanned;

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

    /// <summary>Gets whether this decoder drops bad frames (<see cref="FrameRecoveryPolicy.Discard"/>) rather than throwing.</summary>
    internal bool DiscardsBadFrames => _discard;

    /// <summary>
    /// Gets where the wire bytes of the frame last decoded begin in that call's input: after any bytes the call
    /// discarded first, so a run of frames (<see cref="FrameReader.ReadRunAsync{TFrame}"/>) never carries them.
    /// </summary>
    internal SequencePosition LastFrameStart { get; private set; }

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

            // A delimiter that began in the part already searched would have been found, unless it was cut off at its end.
            var resume = _scanned <= window ? Math.Max(0, _scanned - (_longestDelimiter - 1)) : 0;
            var index = SequenceSearch.IndexOfAny(buffer.Slice(resume, window - resume), _delimiters, out var delimiterLength);
            index = index < 0 ? index : index + resume;
            _scanned = 0;
            if (index >= 0 && index <= _maxFrameLength)
            {
                LastFrameStart = buffer.Start;
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

            _scanned = window;
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
