namespace TcpToolkit.Messaging;

/// <summary>
/// The peer answered a request with an error frame: its handler failed, the method is unknown, the deadline passed,
/// and so on (see <see cref="ErrorCode"/>). The connection stays usable. A "not executed" answer is a
/// <see cref="RequestNotExecutedException"/> instead.
/// </summary>
public sealed class RemoteErrorException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">The code the peer sent.</param>
    /// <param name="message">The peer's message: a generic text unless the server enables <see cref="MessageServerOptions.IncludeExceptionDetails"/>.</param>
    public RemoteErrorException(MessageErrorCode errorCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
    }

    /// <summary>Creates the exception with an inner exception.</summary>
    /// <param name="errorCode">The code.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused it.</param>
    public RemoteErrorException(MessageErrorCode errorCode, string message, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>Gets the code the peer sent.</summary>
    public MessageErrorCode ErrorCode { get; }
}
