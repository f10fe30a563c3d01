namespace TcpToolkit.Connections;

/// <summary>
/// The connection was aborted on this side (by <see cref="Connection.Abort(string?)"/>, a server shutdown or a
/// limit), so pending reads and writes were cancelled.
/// </summary>
public sealed class ConnectionAbortedException : OperationCanceledException
{
    /// <summary>Creates the exception with a default message.</summary>
    public ConnectionAbortedException()
        : base("The connection was aborted.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the connection was aborted.</param>
    public ConnectionAbortedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">Why the connection was aborted.</param>
    /// <param name="innerException">The underlying exception.</param>
    public ConnectionAbortedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
