using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Datagrams;

/// <summary>
/// <see cref="UdpEndpoint.Bind"/> could not create or bind the socket (for example
/// <see cref="SocketError.AddressAlreadyInUse"/>, or <see cref="SocketError.AddressNotAvailable"/> for an address
/// this machine does not have). Nothing stays open.
/// </summary>
public sealed class UdpBindException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endPoint">The endpoint that could not be bound.</param>
    /// <param name="socketError">Why.</param>
    /// <param name="innerException">The underlying exception.</param>
    public UdpBindException(IPEndPoint endPoint, SocketError socketError, Exception? innerException = null)
        : base(socketError == SocketError.AddressAlreadyInUse
            ? $"Failed to bind UDP to {endPoint}: the address is already in use."
            : $"Failed to bind UDP to {endPoint}: {socketError}.", innerException)
    {
        EndPoint = endPoint;
        SocketError = socketError;
    }

    /// <summary>Gets the endpoint that could not be bound.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Gets the socket error of the failed call.</summary>
    public SocketError SocketError { get; }
}
