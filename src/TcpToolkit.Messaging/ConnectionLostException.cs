using TcpToolkit.Connections;

namespace TcpToolkit.Messaging;

/// <summary>
/// The connection was lost (peer closed or reset, heartbeat timed out, client disposed) while a request was pending,
/// or there was none to send on. The request may or may not have run on the peer: retry it only when it is idempotent.
/// (Requests the protocol knows were not executed fail with <see cref="RequestNotExecutedException"/> instead.)
/// </summary>
public sealed class ConnectionLostException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ConnectionLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">Why the connection was lost, for example a <see cref="ConnectionResetException"/>.</param>
    public ConnectionLostException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
