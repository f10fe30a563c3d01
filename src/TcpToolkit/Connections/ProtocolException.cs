namespace TcpToolkit.Connections;

/// <summary>
/// The peer broke the protocol: its bytes cannot be understood (a bad or oversized frame, a malformed header). The
/// base of every such error in every layer (framing, the guide's codec, messaging, the PROXY protocol), so the owner
/// of a connection closes it with <see cref="CloseReason.ProtocolError"/> without knowing which layer threw. Only the
/// offending connection is affected.
/// </summary>
public abstract class ProtocolException : IOException
{
    /// <summary>Creates the exception with a message naming the problem.</summary>
    /// <param name="message">What is wrong.</param>
    protected ProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying exception.</param>
    protected ProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
