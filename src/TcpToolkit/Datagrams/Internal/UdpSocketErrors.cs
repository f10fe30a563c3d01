using System.Net.Sockets;

namespace TcpToolkit.Datagrams.Internal;

/// <summary>How the UDP endpoint treats the socket errors a receive or a send can report.</summary>
internal static class UdpSocketErrors
{
    /// <summary>
    /// An ICMP error about an earlier datagram, reported on a later call: Linux reports port unreachable on a connected
    /// UDP socket as <see cref="SocketError.ConnectionRefused"/> (ECONNREFUSED) to the next receive or send; Windows
    /// reports it as <see cref="SocketError.ConnectionReset"/> (WSAECONNRESET), on unconnected sockets too unless
    /// SIO_UDP_CONNRESET is off. Host and network unreachable come the same way. None of them is about the call
    /// that reports it, so none ends the receive loop.
    /// </summary>
    public static bool IsIcmpReport(SocketError error) => error is SocketError.ConnectionRefused
        or SocketError.ConnectionReset
        or SocketError.HostUnreachable
        or SocketError.NetworkUnreachable
        or SocketError.HostDown
        or SocketError.NetworkDown;

    /// <summary>Errors a receive can report that say nothing about the socket's health: log and receive again.</summary>
    public static bool IsTransientReceive(SocketError error) => error is SocketError.NoBufferSpaceAvailable
        or SocketError.Interrupted
        or SocketError.TimedOut
        or SocketError.TryAgain
        or SocketError.WouldBlock;
}
