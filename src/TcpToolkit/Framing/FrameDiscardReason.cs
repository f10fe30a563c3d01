namespace TcpToolkit.Framing;

/// <summary>Why a decoder with <see cref="FrameRecoveryPolicy.Discard"/> dropped bytes.</summary>
public enum FrameDiscardReason
{
    /// <summary>Nothing has been discarded.</summary>
    None = 0,

    /// <summary>A frame was longer than the decoder's maximum frame length.</summary>
    FrameTooLarge = 1,

    /// <summary>Bytes arrived where a start marker was expected.</summary>
    MissingStartMarker = 2,
}
