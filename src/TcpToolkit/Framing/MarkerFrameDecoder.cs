using System.Buffers;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Decodes frames enclosed in a start and an end marker (STX ... ETX style). Frames are slices of the input (no copy).
/// </summary>
/// <remarks>
/// Bytes where a start marker should be throw <see cref="InvalidFrameException"/>; a payload longer than
/// <see cref="MarkerCodecOptions.MaxFrameLength"/> throws <see cref="FrameTooLargeException"/> as soon as that many bytes
/// arrived without an end marker. With <see cref="FrameRecoveryPolicy.Discard"/> both are dropped instead and the decoder
/// resynchronises on the next start marker. It remembers that it is discarding, and how far it has searched an incomplete
/// frame, so use one instance per connection and pass it the same bytes again, plus new ones, after it returns
/// <see langword="false"/>, as <see cref="FrameReader"/> does.
/// </remarks>
public sealed class MarkerFrameDecoder : IFrameDecoder<ReadOnlySequence<byte>>, IFrameDiscardSource
{
    private readonly byte[] _start;
    private readonly byte[] _end;
    private readonly int _maxFrameLength;
    private readonly bool _includeMarkers;
    private readonly bool _discard;
    private bool _discardingFrame;
    private bool _skippingGarbage;

    // Payload bytes of the pending frame already searched for the end marker; the next call resumes there, so a long
    // frame arriving in many small reads is scanned once, not once per read.
    private long _scanned;

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">The codec options.</param>
    public MarkerFrameDecoder(MarkerCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _start = options.StartMarker.ToArray();
        _end = options.EndMarker.ToArray();
        _maxFrameLength = options.MaxFrameLength;
        _includeMarkers = options.IncludeMarkers;
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
            if (_discardingFrame)
            {
                var end = SequenceSearch.IndexOf(buffer, _end);
                if (end < 0)
                {
                    // Drop what arrived, but keep a possible partial end marker: it may complete in the next read.
                    buffer = buffer.Slice(buffer.Length - Math.Min(buffer.Length, _end.Length - 1));
                    consumed = buffer.Start;
                    break;
                }

                _discardingFrame = false;
                buffer = buffer.Slice(end + _end.Length);
                consumed = buffer.Start;
                continue;
            }

            var match = SequenceSearch.MatchPrefix(buffer, _start);
            if (match == 0)
            {
                break;
            }

            if (match < 0)
            {
                buffer = SkipToStartMarker(buffer);
                consumed = buffer.Start;
                continue;
            }

            _skippingGarbage = false;
            var content = buffer.Slice(_start.Length);

            // An end marker starting after MaxFrameLength means a payload that is too long, so search no further than that.
            var window = Math.Min(content.Length, (long)_maxFrameLength + _end.Length);
            var resume = _scanned <= window ? Math.Max(0, _scanned - (_end.Length - 1)) : 0;
            var index = SequenceSearch.IndexOf(content.Slice(resume, window - resume), _end);
            index = index < 0 ? index : index + resume;
            _scanned = 0;
            if (index >= 0 && index <= _maxFrameLength)
            {
                LastFrameStart = buffer.Start;
                var frameEnd = content.GetPosition(index + _end.Length);
                frame = _includeMarkers ? buffer.Slice(buffer.Start, frameEnd) : content.Slice(0, index);
                consumed = examined = frameEnd;
                return true;
            }

            if (index > _maxFrameLength)
            {
                Reject(FrameDiscardReason.FrameTooLarge, index, _start.Length + index + _end.Length);
                buffer = content.Slice(index + _end.Length);
                consumed = buffer.Start;
                continue;
            }

            if (window == (long)_maxFrameLength + _end.Length)
            {
                var observed = window - (_end.Length - 1);
                Reject(FrameDiscardReason.FrameTooLarge, observed, _start.Length + observed);
                _discardingFrame = true;
                buffer = content;
                continue;
            }

            _scanned = window;
            break;
        }

        examined = input.End;
        frame = default;
        return false;
    }

    private ReadOnlySequence<byte> SkipToStartMarker(in ReadOnlySequence<byte> buffer)
    {
        // The first byte cannot start a frame; look for the next start marker after it.
        var next = SequenceSearch.IndexOf(buffer.Slice(1), _start);
        var drop = next >= 0 ? next + 1 : buffer.Length - Math.Min(buffer.Length - 1, _start.Length - 1);
        if (!_skippingGarbage)
        {
            // Report one discard per run of garbage, however many reads it spans.
            Reject(FrameDiscardReason.MissingStartMarker, drop, drop);
            _skippingGarbage = true;
        }

        return buffer.Slice(drop);
    }

    private void Reject(FrameDiscardReason reason, long length, long discardedBytes)
    {
        if (!_discard)
        {
            throw reason == FrameDiscardReason.FrameTooLarge
                ? new FrameTooLargeException(length, _maxFrameLength)
                : new InvalidFrameException("Expected a start marker at the beginning of a frame.");
        }

        DiscardedFrameCount++;
        LastDiscardReason = reason;
        LastDiscardedByteCount = discardedBytes;
    }
}
