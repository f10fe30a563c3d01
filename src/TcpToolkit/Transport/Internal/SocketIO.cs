using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The socket operations <see cref="SocketPump"/> needs, over one of two engines: TcpToolkit's epoll loops on Linux
/// (<see cref="Epoll.EpollSocketIO"/>) or .NET's socket engine everywhere else (<see cref="DotNetSocketIO"/>).
/// Failures surface as <see cref="SocketException"/> or <see cref="ObjectDisposedException"/>, which
/// <see cref="SocketErrors"/> maps once.
/// </summary>
internal abstract class SocketIO
{
    /// <summary>Picks the engine for a connected socket.</summary>
    public static SocketIO Create(Socket socket, bool preferDotNetEngine)
        => !preferDotNetEngine && Epoll.EpollLoop.IsSupported ? new Epoll.EpollSocketIO(socket) : new DotNetSocketIO(socket);

    /// <summary>Connects <paramref name="socket"/> and returns it on the engine that will carry the connection.</summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public static async ValueTask<SocketIO> ConnectAsync(Socket socket, EndPoint endPoint, bool preferDotNetEngine, CancellationToken cancellationToken)
    {
        if (!preferDotNetEngine && Epoll.EpollLoop.IsSupported)
        {
            // Connecting through .NET's engine would register the socket with its epoll too, and every later event
            // would wake both engines.
            return await Epoll.EpollSocketIO.ConnectAsync(socket, endPoint, cancellationToken).ConfigureAwait(false);
        }

        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        return new DotNetSocketIO(socket);
    }

    /// <summary>
    /// Receives into <paramref name="memory"/>; returns 0 at the peer's FIN. With empty memory, waits until data (or
    /// FIN, or an error) is there without holding a buffer meanwhile, and returns 0.
    /// </summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> memory);

    /// <summary>Sends every byte of <paramref name="buffer"/>.</summary>
    public abstract ValueTask SendAsync(ReadOnlySequence<byte> buffer);

    /// <summary>
    /// Called just before the socket is disposed (under the pump's shutdown lock): the engine forgets the socket and
    /// every later operation fails as aborted. Runs no continuation.
    /// </summary>
    public abstract void Close();

    /// <summary>
    /// Called after the socket is disposed, outside any lock: operations still waiting for the engine end (they run
    /// on this thread and fail as aborted).
    /// </summary>
    public virtual void WakeWaiters()
    {
    }
}
