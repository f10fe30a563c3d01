namespace TcpToolkit.Connections;

/// <summary>The peer reset the connection (TCP RST), or the network dropped it, while data was in flight.</summary>
public sealed class ConnectionResetException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ConnectionResetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The underlying exception, usually a <see cref="System.Net.Sockets.SocketException"/>.</param>
    public ConnectionResetException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
