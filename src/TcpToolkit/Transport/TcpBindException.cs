using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Transport;

/// <summary>
/// <see cref="TcpServer.StartAsync"/> could not bind or listen on an endpoint (for example
/// <see cref="SocketError.AddressAlreadyInUse"/>). No endpoint stays bound: the start was rolled back.
/// </summary>
public sealed class TcpBindException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endPoint">The endpoint that could not be bound.</param>
    /// <param name="socketError">Why.</param>
    /// <param name="innerException">The underlying exception.</param>
    public TcpBindException(EndPoint endPoint, SocketError socketError, Exception? innerException = null)
        : base(socketError == SocketError.AddressAlreadyInUse
            ? $"Failed to bind to {endPoint}: the address is already in use."
            : $"Failed to bind to {endPoint}: {socketError}.", innerException)
    {
        EndPoint = endPoint;
        SocketError = socketError;
    }

    /// <summary>Gets the endpoint that could not be bound.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>Gets the socket error of the bind or listen call.</summary>
    public SocketError SocketError { get; }
}
