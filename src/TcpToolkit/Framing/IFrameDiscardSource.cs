namespace TcpToolkit.Framing;

/// <summary>
/// Implemented by decoders that can discard bad frames. A pure decoder cannot log, so it counts instead:
/// <see cref="FrameReader"/> compares <see cref="DiscardedFrameCount"/> before and after each decode and logs what
/// changed. Reading three properties allocates nothing.
/// </summary>
public interface IFrameDiscardSource
{
    /// <summary>Gets how many bad frames (or runs of bytes before a start marker) this decoder has discarded.</summary>
    long DiscardedFrameCount { get; }

    /// <summary>Gets why the most recent discard happened, or <see cref="FrameDiscardReason.None"/>.</summary>
    FrameDiscardReason LastDiscardReason { get; }

    /// <summary>
    /// Gets how many bytes the most recent discard covered when it was reported. For a frame without a delimiter
    /// in sight this is the bytes seen so far (a lower bound); the rest is dropped silently as it arrives.
    /// </summary>
    long LastDiscardedByteCount { get; }
}
