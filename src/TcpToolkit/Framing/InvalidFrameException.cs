namespace TcpToolkit.Framing;

/// <summary>
/// Bytes that cannot be a valid frame: an impossible length (negative after adjustment, shorter than the header),
/// a malformed header, a missing marker.
/// </summary>
public class InvalidFrameException : FramingException
{
    /// <summary>Creates the exception with a message naming the problem.</summary>
    /// <param name="message">What is wrong with the frame.</param>
    public InvalidFrameException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What is wrong with the frame.</param>
    /// <param name="innerException">The underlying exception, for example a JSON parse error.</param>
    public InvalidFrameException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
