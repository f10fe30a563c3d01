using System.Buffers;

namespace TcpToolkit.Framing;

/// <summary>
/// Turns one frame into bytes. An encoder is pure and synchronous: it writes the whole frame (header and payload)
/// into the output in one piece and never flushes, so many frames can be written before one flush.
/// </summary>
/// <typeparam name="TFrame">The type of frame consumed.</typeparam>
public interface IFrameEncoder<in TFrame>
{
    /// <summary>Writes <paramref name="frame"/> to <paramref name="output"/>.</summary>
    /// <param name="frame">The frame to write.</param>
    /// <param name="output">Where the encoded bytes go, for example a <see cref="System.IO.Pipelines.PipeWriter"/>.</param>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder's maximum or than its length field can express.</exception>
    void Encode(TFrame frame, IBufferWriter<byte> output);
}
