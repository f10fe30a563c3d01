using System.Net.Sockets;
using TcpToolkit.Connections;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The one place where socket errors become TcpToolkit's exceptions, as Kestrel's SocketConnection does it: a peer
/// that reset becomes <see cref="ConnectionResetException"/>, our own abort becomes <see cref="ConnectionAbortedException"/>.
/// </summary>
internal static class SocketErrors
{
    /// <summary>The peer (or the network) tore the connection down.</summary>
    public static bool IsConnectionReset(SocketError error) => error is
        SocketError.ConnectionReset or      // RST from the peer
        SocketError.Shutdown or             // EPIPE: writing after the peer reset
        SocketError.ConnectionAborted or    // ECONNABORTED (Linux reports software-caused aborts this way)
        SocketError.NetworkReset or
        SocketError.TimedOut or             // keepalive or retransmission timeout: the peer is gone
        SocketError.HostUnreachable or
        SocketError.NetworkUnreachable;

    /// <summary>This side disposed or aborted the socket while an operation was pending.</summary>
    public static bool IsConnectionAborted(SocketError error) => error is
        SocketError.OperationAborted or     // the socket was closed under a pending operation
        SocketError.Interrupted or
        SocketError.InvalidArgument;        // macOS/Linux report a send on a shut-down socket this way

    /// <summary>Maps an exception from a socket operation to the exception the application sees.</summary>
    /// <param name="exception">What the socket threw.</param>
    /// <param name="abortedLocally">Whether this side had already aborted or closed the connection.</param>
    /// <param name="abortReason">Why this side aborted, for the message.</param>
    public static Exception Map(Exception exception, bool abortedLocally, string? abortReason)
    {
        if (abortedLocally)
        {
            return new ConnectionAbortedException(abortReason ?? "The connection was aborted by the application.", exception);
        }

        return exception switch
        {
            SocketException se when IsConnectionReset(se.SocketErrorCode)
                => new ConnectionResetException($"The connection was reset by the peer ({se.SocketErrorCode}).", se),
            SocketException se when IsConnectionAborted(se.SocketErrorCode)
                => new ConnectionAbortedException("The connection was aborted.", se),
            ObjectDisposedException
                => new ConnectionAbortedException("The connection was aborted.", exception),
            _ => exception,
        };
    }
}
