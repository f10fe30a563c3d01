namespace TcpToolkit.Tls;

/// <summary>
/// A TLS handshake failed or did not finish within its timeout, so the connection was aborted with
/// <see cref="Connections.CloseReason.MiddlewareError"/>. A client's <c>ConnectAsync</c> throws it;
/// <see cref="Exception.InnerException"/> holds the cause: the <see cref="System.Security.Authentication.AuthenticationException"/>
/// of a rejected certificate or protocol, the <see cref="IOException"/> of a peer that closed, or a
/// <see cref="TimeoutException"/> when the handshake ran out of time.
/// </summary>
public sealed class TlsHandshakeException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the handshake failed.</param>
    public TlsHandshakeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">Why the handshake failed.</param>
    /// <param name="innerException">The underlying exception.</param>
    public TlsHandshakeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
