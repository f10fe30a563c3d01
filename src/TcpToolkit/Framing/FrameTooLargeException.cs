namespace TcpToolkit.Framing;

/// <summary>
/// A frame is longer than the configured maximum. Decoders throw it as soon as the length is known (for a length
/// field: when the field is read, before any payload is buffered), so a hostile length never costs memory.
/// </summary>
public sealed class FrameTooLargeException : FramingException
{
    /// <summary>Creates the exception for a frame of <paramref name="length"/> bytes against <paramref name="maxFrameLength"/>.</summary>
    /// <param name="length">The announced or observed length in bytes (for an unterminated frame: the bytes seen so far).</param>
    /// <param name="maxFrameLength">The limit in force.</param>
    public FrameTooLargeException(long length, long maxFrameLength)
        : base($"Frame length {length} exceeds the maximum frame length {maxFrameLength}.")
    {
        Length = length;
        MaxFrameLength = maxFrameLength;
    }

    /// <summary>Creates the exception with a custom message.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="length">The announced or observed length in bytes.</param>
    /// <param name="maxFrameLength">The limit in force.</param>
    public FrameTooLargeException(string message, long length, long maxFrameLength)
        : base(message)
    {
        Length = length;
        MaxFrameLength = maxFrameLength;
    }

    /// <summary>Gets the announced or observed frame length in bytes.</summary>
    public long Length { get; }

    /// <summary>Gets the maximum frame length that was exceeded.</summary>
    public long MaxFrameLength { get; }
}
