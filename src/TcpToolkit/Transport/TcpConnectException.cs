using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Transport;

/// <summary>A connection attempt failed: it names the endpoint and the socket error (refused, timed out, unreachable...).</summary>
public sealed class TcpConnectException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="remoteEndPoint">The endpoint that could not be reached.</param>
    /// <param name="socketError">Why.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public TcpConnectException(EndPoint remoteEndPoint, SocketError socketError, Exception? innerException = null)
        : base($"Could not connect to {remoteEndPoint}: {socketError}.", innerException)
    {
        RemoteEndPoint = remoteEndPoint;
        SocketError = socketError;
    }

    /// <summary>Gets the endpoint that could not be reached.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>Gets the socket error of the attempt (<see cref="SocketError.TimedOut"/> when the connect timeout expired).</summary>
    public SocketError SocketError { get; }
}
