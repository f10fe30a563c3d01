namespace TcpToolkit.Messaging;

/// <summary>
/// The server's request handler failed and sent an error reply instead of a response. The connection stays usable.
/// The message is the server's: a generic text unless the server enables
/// <see cref="Messaging.MessageServerOptions.IncludeExceptionDetails"/>.
/// </summary>
public sealed class RemoteHandlerException : Exception
{
    /// <summary>Creates the exception with the server's message.</summary>
    /// <param name="message">The error text the server sent.</param>
    public RemoteHandlerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The error text.</param>
    /// <param name="innerException">The exception that caused it.</param>
    public RemoteHandlerException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
