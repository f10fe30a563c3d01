namespace TcpToolkit.Framing;

/// <summary>The peer ended the stream (EOF) in the middle of a frame.</summary>
public sealed class TruncatedFrameException : FramingException
{
    /// <summary>Creates the exception for <paramref name="bufferedBytes"/> bytes left unframed at EOF.</summary>
    /// <param name="bufferedBytes">How many bytes of the partial frame had arrived.</param>
    public TruncatedFrameException(long bufferedBytes)
        : base($"The stream ended in the middle of a frame ({bufferedBytes} bytes of an incomplete frame were received).")
    {
        BufferedBytes = bufferedBytes;
    }

    /// <summary>Gets how many bytes of the incomplete frame had arrived before EOF.</summary>
    public long BufferedBytes { get; }
}
