using System.Buffers;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The socket operations <see cref="SocketPump"/> needs, over one of two engines: TcpToolkit's epoll loops on Linux
/// (<see cref="EpollSocketIO"/>) or .NET's socket engine everywhere else (<see cref="DotNetSocketIO"/>).
/// Failures surface as <see cref="SocketException"/>, <see cref="ObjectDisposedException"/> or
/// <see cref="Connections.ConnectionAbortedException"/>, which <see cref="SocketErrors"/> maps once.
/// </summary>
internal abstract class SocketIO
{
    /// <summary>
    /// Puts a connected socket on the engine <paramref name="settings"/> ask for: an epoll loop that has not failed,
    /// or .NET's engine when there is none (not Linux, switched off, or every loop failed).
    /// </summary>
    /// <exception cref="SocketException">The socket could not be registered (<c>epoll_ctl</c> failed).</exception>
    public static SocketIO Create(Socket socket, ConnectionSettings settings)
    {
        settings.Hooks?.CreatingSocketIO?.Invoke(socket);
        return TryPickLoop(settings, out var loop) ? new EpollSocketIO(socket, loop) : new DotNetSocketIO(socket);
    }

    /// <summary>Connects <paramref name="socket"/> and returns it on the engine that will carry the connection.</summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public static async ValueTask<SocketIO> ConnectAsync(Socket socket, EndPoint endPoint, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        settings.Hooks?.CreatingSocketIO?.Invoke(socket);
        if (TryPickLoop(settings, out var loop))
        {
            // Connecting through .NET's engine would register the socket with its epoll too, and every later event
            // would wake both engines.
            return await EpollSocketIO.ConnectAsync(socket, endPoint, loop, cancellationToken).ConfigureAwait(false);
        }

        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        return new DotNetSocketIO(socket);
    }

    /// <summary>
    /// Receives into <paramref name="memory"/>; returns 0 at the peer's FIN. With empty memory, waits until data (or
    /// FIN, or an error) is there without holding a buffer meanwhile, and returns 0.
    /// </summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> memory);

    /// <summary>
    /// Waits for data without a buffer and without an awaiting caller: returns <see langword="true"/> when the caller
    /// should receive now (data, FIN or an error is there, or probably so); otherwise the engine calls
    /// <paramref name="onReadable"/> with <paramref name="state"/> once, later, when the socket is readable (or
    /// closed), on its own thread. A failure of the wait itself is reported by the next <see cref="ReceiveAsync"/>.
    /// </summary>
    public abstract bool WaitForData(Action<object?> onReadable, object state);

    /// <summary>Sends every byte of <paramref name="buffer"/>.</summary>
    public abstract ValueTask SendAsync(ReadOnlySequence<byte> buffer);

    /// <summary>Gets whether <see cref="SendNow"/> can send from the calling thread without waiting (.NET's engine cannot here).</summary>
    public virtual bool SendsWithoutWaiting => false;

    /// <summary>
    /// Sends what the socket takes of <paramref name="bytes"/> at once, in one (gathered) system call and without
    /// waiting: the number of bytes sent, 0 when the socket's send buffer is full. Only where
    /// <see cref="SendsWithoutWaiting"/>.
    /// </summary>
    /// <exception cref="SocketException">The send failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public virtual long SendNow(in ReadOnlySequence<byte> bytes) => throw new NotSupportedException();

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

    private static bool TryPickLoop(ConnectionSettings settings, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EpollLoop? loop)
    {
        loop = null;
        return !settings.UseDotNetSocketEngine
            && (settings.Hooks?.Loops ?? EpollLoopGroup.Default) is { } loops
            && loops.TryNext(out loop);
    }
}
