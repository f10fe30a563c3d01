using System.Buffers;

namespace TcpToolkit.Framing;

/// <summary>Decodes frames of one fixed length. Frames are slices of the input (no copy). Keeps no state between calls.</summary>
public sealed class FixedSizeFrameDecoder : IFrameDecoder<ReadOnlySequence<byte>>
{
    private readonly int _frameLength;

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">The codec options.</param>
    /// <exception cref="ArgumentException"><see cref="FixedSizeCodecOptions.FrameLength"/> exceeds <see cref="FixedSizeCodecOptions.MaxFrameLength"/>.</exception>
    public FixedSizeFrameDecoder(FixedSizeCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _frameLength = options.FrameLength;
    }

    /// <inheritdoc />
    public bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out ReadOnlySequence<byte> frame)
    {
        if (input.Length < _frameLength)
        {
            frame = default;
            examined = input.End;
            return false;
        }

        frame = input.Slice(0, _frameLength);
        consumed = examined = frame.End;
        return true;
    }
}
