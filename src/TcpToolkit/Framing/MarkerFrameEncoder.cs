using System.Buffers;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Encloses each payload in the start and end markers, writing all three into one buffer whenever the output can
/// provide one that large. Stateless and thread-safe; one instance can serve every connection.
/// </summary>
public sealed class MarkerFrameEncoder : IFrameEncoder<ReadOnlyMemory<byte>>, IFrameEncoder<ReadOnlySequence<byte>>
{
    private readonly byte[] _start;
    private readonly byte[] _end;
    private readonly byte[][] _endAsDelimiter;
    private readonly int _maxFrameLength;

    /// <summary>Creates an encoder.</summary>
    /// <param name="options">The codec options.</param>
    public MarkerFrameEncoder(MarkerCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _start = options.StartMarker.ToArray();
        _end = options.EndMarker.ToArray();
        _endAsDelimiter = [_end];
        _maxFrameLength = options.MaxFrameLength;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The payload contains the end marker, or ends with a part of it.</exception>
    public void Encode(ReadOnlyMemory<byte> frame, IBufferWriter<byte> output) => Encode(new ReadOnlySequence<byte>(frame), output);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The payload contains the end marker, or ends with a part of it.</exception>
    public void Encode(ReadOnlySequence<byte> frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (frame.Length > _maxFrameLength)
        {
            throw new FrameTooLargeException(frame.Length, _maxFrameLength);
        }

        if (SequenceSearch.IndexOf(frame, _end) >= 0 || SequenceSearch.DelimiterCrossesEnd(frame, _endAsDelimiter, _end))
        {
            throw new ArgumentException("The frame contains the end marker, so the peer would cut it short.", nameof(frame));
        }

        FrameWriting.WriteFramed(output, _start, frame, _end);
    }
}
