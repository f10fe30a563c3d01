using System.Buffers;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Appends the first configured delimiter to each payload, writing both into one buffer whenever the output can
/// provide one that large. Stateless and thread-safe; one instance can serve every connection.
/// </summary>
/// <remarks>
/// A payload that contains any configured delimiter, or whose end forms one together with the appended delimiter, is
/// rejected with <see cref="ArgumentException"/>, because the peer would split it.
/// </remarks>
public sealed class DelimiterFrameEncoder : IFrameEncoder<ReadOnlyMemory<byte>>, IFrameEncoder<ReadOnlySequence<byte>>
{
    private readonly byte[][] _delimiters;
    private readonly byte[] _delimiter;
    private readonly int _maxFrameLength;

    /// <summary>Creates an encoder.</summary>
    /// <param name="options">The codec options.</param>
    public DelimiterFrameEncoder(DelimiterCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _delimiters = options.Delimiters.Select(d => d.ToArray()).ToArray();
        _delimiter = _delimiters[0];
        _maxFrameLength = options.MaxFrameLength;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The payload contains a delimiter.</exception>
    public void Encode(ReadOnlyMemory<byte> frame, IBufferWriter<byte> output) => Encode(new ReadOnlySequence<byte>(frame), output);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The payload contains a delimiter.</exception>
    public void Encode(ReadOnlySequence<byte> frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (frame.Length > _maxFrameLength)
        {
            throw new FrameTooLargeException(frame.Length, _maxFrameLength);
        }

        if (SequenceSearch.IndexOfAny(frame, _delimiters, out _) >= 0 || SequenceSearch.DelimiterCrossesEnd(frame, _delimiters, _delimiter))
        {
            throw new ArgumentException("The frame contains a delimiter, so the peer would read it as two frames.", nameof(frame));
        }

        FrameWriting.WriteFramed(output, [], frame, _delimiter);
    }
}
