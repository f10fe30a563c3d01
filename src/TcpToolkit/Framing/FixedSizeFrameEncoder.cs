using System.Buffers;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>Writes frames of one fixed length. Stateless and thread-safe; one instance can serve every connection.</summary>
public sealed class FixedSizeFrameEncoder : IFrameEncoder<ReadOnlyMemory<byte>>, IFrameEncoder<ReadOnlySequence<byte>>
{
    private readonly int _frameLength;

    /// <summary>Creates an encoder.</summary>
    /// <param name="options">The codec options.</param>
    /// <exception cref="ArgumentException"><see cref="FixedSizeCodecOptions.FrameLength"/> exceeds <see cref="FixedSizeCodecOptions.MaxFrameLength"/>.</exception>
    public FixedSizeFrameEncoder(FixedSizeCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _frameLength = options.FrameLength;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The frame is shorter than the fixed length.</exception>
    public void Encode(ReadOnlyMemory<byte> frame, IBufferWriter<byte> output) => Encode(new ReadOnlySequence<byte>(frame), output);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The frame is shorter than the fixed length.</exception>
    public void Encode(ReadOnlySequence<byte> frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (frame.Length > _frameLength)
        {
            throw new FrameTooLargeException(frame.Length, _frameLength);
        }

        if (frame.Length < _frameLength)
        {
            throw new ArgumentException($"The frame is {frame.Length} bytes; this codec's frames are exactly {_frameLength} bytes.", nameof(frame));
        }

        FrameWriting.WriteFramed(output, [], frame, []);
    }
}
