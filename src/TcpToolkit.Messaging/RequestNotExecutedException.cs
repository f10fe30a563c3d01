namespace TcpToolkit.Messaging;

/// <summary>
/// The request was certainly not executed: the peer answered "not executed" (it was going away), its GoAway said it
/// never accepted the request, or the request never left this process. Retrying it is safe whatever it does, and the
/// client's next attempt goes to a new connection.
/// </summary>
public sealed class RequestNotExecutedException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the request was not executed.</param>
    public RequestNotExecutedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">Why.</param>
    /// <param name="innerException">The cause, for example the <see cref="ConnectionLostException"/> of a request that was never sent.</param>
    public RequestNotExecutedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
