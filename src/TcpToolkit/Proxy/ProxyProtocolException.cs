using TcpToolkit.Connections;

namespace TcpToolkit.Proxy;

/// <summary>
/// A connection's PROXY protocol header was missing, malformed, too large, too slow, or came from a peer that is not a
/// trusted proxy. <see cref="Error"/> says which. The middleware aborts the connection with
/// <see cref="CloseReason.MiddlewareError"/> before it throws this, and the application's handler never runs.
/// </summary>
public sealed class ProxyProtocolException : ProtocolException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why the header was refused.</param>
    /// <param name="message">The problem in words.</param>
    public ProxyProtocolException(ProxyProtocolError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>Creates the exception with the exception that caused it.</summary>
    /// <param name="error">Why the header was refused.</param>
    /// <param name="message">The problem in words.</param>
    /// <param name="innerException">The underlying exception.</param>
    public ProxyProtocolException(ProxyProtocolError error, string message, Exception? innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Gets why the header was refused.</summary>
    public ProxyProtocolError Error { get; }
}
