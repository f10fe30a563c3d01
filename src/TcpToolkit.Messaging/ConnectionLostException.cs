using TcpToolkit.Connections;

namespace TcpToolkit.Messaging;

/// <summary>
/// A <see cref="Messaging.MessageClient"/> lost its connection (peer closed or reset, heartbeat timed out, client
/// disposed) while a request was pending, or could not send because it had none. The request may or may not have
/// reached the server: retry it only when it is idempotent.
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
