using TcpToolkit.Connections;

namespace TcpToolkit.Messaging;

/// <summary>
/// The hello exchange failed: the peers speak different protocol versions, a peer announced limits that cannot work
/// (a maximum frame below 256 bytes, no request in flight), or the peer is not a message endpoint at all. On the client
/// it ends the client (no reconnect: the next attempt would fail the same way); on the server it closes the connection
/// with <see cref="CloseReason.ProtocolError"/> after telling the client why.
/// </summary>
public sealed class ProtocolMismatchException : ProtocolException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What did not match.</param>
    public ProtocolMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner exception.</summary>
    /// <param name="message">What did not match.</param>
    /// <param name="innerException">The cause.</param>
    public ProtocolMismatchException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
