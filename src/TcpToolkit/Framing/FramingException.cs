using TcpToolkit.Connections;

namespace TcpToolkit.Framing;

/// <summary>
/// The base of every framing error: bytes from the peer that cannot be turned into frames. Catch this type to
/// handle all of them; the connection that produced it is unusable for further frames unless a recovery policy
/// says otherwise, and no other connection is affected.
/// </summary>
public class FramingException : ProtocolException
{
    /// <summary>Creates the exception with a message naming the problem.</summary>
    /// <param name="message">What is wrong.</param>
    public FramingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying exception.</param>
    public FramingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
