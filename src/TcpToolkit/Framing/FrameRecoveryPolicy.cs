namespace TcpToolkit.Framing;

/// <summary>What a delimiter or marker decoder does with a frame it cannot accept.</summary>
public enum FrameRecoveryPolicy
{
    /// <summary>
    /// Throw a <see cref="FramingException"/>; the reader stops and the caller is expected to close the connection.
    /// The safe default: a peer that sends garbage is usually broken or hostile.
    /// </summary>
    Throw = 0,

    /// <summary>
    /// Drop the bad bytes up to the next delimiter (or start marker), report the discard and go on with the next
    /// frame. The dropped bytes are consumed as they arrive, so discarding never buffers more than one read.
    /// </summary>
    Discard = 1,
}
