using System.Buffers;

namespace TcpToolkit.Framing;

/// <summary>
/// Turns bytes into frames. A decoder is pure and synchronous: it never performs I/O, so it can be tested by
/// feeding it byte sequences and can sit on top of any <see cref="System.IO.Pipelines.PipeReader"/>.
/// </summary>
/// <typeparam name="TFrame">The type of frame produced.</typeparam>
/// <remarks>
/// A decoder instance may keep state between calls (for example while it discards an oversized line), so use
/// one instance per connection. Codec options objects are immutable and can be shared.
/// </remarks>
public interface IFrameDecoder<TFrame>
{
    /// <summary>Tries to decode one frame from the start of <paramref name="input"/>.</summary>
    /// <param name="input">The buffered bytes, starting at the first unconsumed byte.</param>
    /// <param name="consumed">
    /// On success, set to the position just after the frame. A decoder that discards bytes (a recovery policy) may
    /// also move it forward when it returns <see langword="false"/>.
    /// </param>
    /// <param name="examined">
    /// Set to how far the decoder looked. When it returns <see langword="false"/> because the frame is incomplete
    /// this must be <c>input.End</c>, so the reader waits for more bytes instead of spinning.
    /// </param>
    /// <param name="frame">The decoded frame. When it is a slice of <paramref name="input"/> it stays valid only
    /// until the reader advances.</param>
    /// <returns><see langword="true"/> when a whole frame was decoded; <see langword="false"/> when more bytes are needed.</returns>
    /// <exception cref="FrameTooLargeException">The frame announces or reaches a length above the decoder's maximum.</exception>
    /// <exception cref="InvalidFrameException">The bytes cannot be a valid frame.</exception>
    bool TryDecode(in ReadOnlySequence<byte> input, ref SequencePosition consumed, ref SequencePosition examined, out TFrame frame);
}
