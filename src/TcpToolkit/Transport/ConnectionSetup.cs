using System.Net.Sockets;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Transport;

/// <summary>
/// Sets up one connection over a connected socket so that a failure part-way (the engine refusing the socket,
/// <c>epoll_ctl</c> failing with ENOSPC or ENOMEM, the connection's constructor throwing) leaves nothing registered.
/// </summary>
internal static class ConnectionSetup
{
    /// <summary>
    /// Puts <paramref name="socket"/> on an engine (unless <paramref name="io"/> already is one) and wraps it in a
    /// connection. On failure the engine registration is released and the exception propagates; the caller still
    /// owns, and must dispose, the socket.
    /// </summary>
    /// <param name="socket">The connected socket.</param>
    /// <param name="settings">The owner's settings.</param>
    /// <param name="endPointTags">The metrics' endpoint attributes: the listener's, or the connect target's.</param>
    /// <param name="onClosed">Tells the owner the connection closed.</param>
    /// <param name="io">The engine the socket is already on (a client's connect), or <see langword="null"/>.</param>
    public static TcpConnection Create(
        Socket socket, ConnectionSettings settings, KeyValuePair<string, object?>[] endPointTags, Action<TcpConnection>? onClosed, SocketIO? io = null)
    {
        io ??= SocketIO.Create(socket, settings);
        try
        {
            return new TcpConnection(socket, settings, endPointTags, onClosed, io);
        }
        catch
        {
            Release(io);
            throw;
        }
    }

    /// <summary>Releases a socket's engine registration that no connection took over (the socket is disposed next).</summary>
    public static void Release(SocketIO io)
    {
        io.Close();
        io.WakeWaiters();
    }
}
