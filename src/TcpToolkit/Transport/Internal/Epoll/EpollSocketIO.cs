using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TcpToolkit.Connections;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// A connected socket on an <see cref="EpollLoop"/>: non-blocking <c>recv</c> and gathered <c>sendmsg</c> straight
/// from the calling thread, and a wait on the loop only when the kernel says the call would block. A call that can
/// complete at once (the common case under load) costs one system call and no allocation.
/// </summary>
/// <remarks>
/// Every call holds a reference on the socket's <see cref="SafeHandle"/>, so a concurrent dispose cannot close the
/// descriptor under it (and the number cannot be reused by another socket mid-call); a call after dispose throws
/// <see cref="ObjectDisposedException"/>, which the pump maps to an abort.
/// </remarks>
internal sealed class EpollSocketIO : SocketIO
{
    private const int MaxGather = 16;

    private readonly SafeSocketHandle _handle;
    private readonly EpollLoop _loop;
    private readonly Readiness _read = new();
    private Readiness? _write;
    private volatile bool _writeErrored;
    private readonly nint _registration;
    private int _closed;
    private int _urgent;
    private volatile string? _failure;
    private Exception? _failureCause;

    /// <summary>Puts a connected <paramref name="socket"/> on <paramref name="loop"/>.</summary>
    /// <exception cref="SocketException">The loop could not take it (<c>epoll_ctl</c> failed, or the loop has failed).</exception>
    public EpollSocketIO(Socket socket, EpollLoop loop)
        : this(socket, loop, connected: true)
    {
    }

    private EpollSocketIO(Socket socket, EpollLoop loop, bool connected)
    {
        _handle = socket.SafeHandle;
        if (connected)
        {
            // O_NONBLOCK straight on the descriptor: .NET's Socket.Blocking setter would create the socket's
            // SocketAsyncContext (152 B and two locks per connection, issue #17's idle budget) for an engine that never
            // sees the socket. Nothing of .NET's that this engine still calls (Shutdown, LingerState, Dispose) depends
            // on the flag it would record.
            SetNonBlocking(Fd);
        }
        else
        {
            // A connect goes through Socket.Connect, which must know the socket does not block (EINPROGRESS).
            socket.Blocking = false;
        }

        _loop = loop;
        _registration = _loop.Register(Fd, this);
    }

    /// <summary>Connects without blocking: <c>connect</c> returns EINPROGRESS, the loop reports when it is done.</summary>
    public static async ValueTask<EpollSocketIO> ConnectAsync(Socket socket, EndPoint endPoint, EpollLoop loop, CancellationToken cancellationToken)
    {
        var io = new EpollSocketIO(socket, loop, connected: false);
        try
        {
            io.Write.Observe();
            try
            {
                socket.Connect(endPoint);
                return io;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
            {
                // In progress.
            }

            using (cancellationToken.UnsafeRegister(static state => ((Readiness)state!).Signal(), io.Write))
            {
                // Poll also tells the Socket it is connected (Connected, RemoteEndPoint).
                while (!socket.Poll(0, SelectMode.SelectWrite))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await io.Write.WaitAsync().ConfigureAwait(false);
                    io.ThrowIfClosed();
                    io.Write.Observe();
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            return io;
        }
        catch
        {
            io.Close();
            io.WakeWaiters();
            throw;
        }
    }

    private int Fd => (int)_handle.DangerousGetHandle();

    /// <summary>
    /// Gets the write side's readiness, created at the first send or connect (issue #17: a connection that never
    /// sends, or never fills its socket buffer before its first send, needs none before then). One created after the
    /// engine closed or failed the socket, or after an error event, is closed at once, as it would have been.
    /// </summary>
    private Readiness Write => Volatile.Read(ref _write) ?? CreateWrite();

    private Readiness CreateWrite()
    {
        var created = new Readiness();
        var write = Interlocked.CompareExchange(ref _write, created, null) ?? created;

        // After the compare-and-swap (a full fence): Close/Fail/OnEvents set their flag first, then look for _write.
        if (_writeErrored || Volatile.Read(ref _closed) != 0 || _failure is not null)
        {
            write.Close();
        }

        return write;
    }

    private static void SetNonBlocking(int fd)
    {
        var flags = LinuxInterop.Fcntl(fd, LinuxInterop.FGetFl, 0);
        if (flags < 0 || LinuxInterop.Fcntl(fd, LinuxInterop.FSetFl, flags | LinuxInterop.ONonBlock) < 0)
        {
            throw new SocketException((int)LinuxInterop.ToSocketError(Marshal.GetLastPInvokeError()));
        }
    }

    /// <summary>Called by the loop for each event on this socket.</summary>
    /// <remarks>
    /// The peer's FIN (RDHUP) or an error (ERR) makes the read side ready for good: with edge triggering, data and
    /// FIN can arrive in one edge, and after the receive that takes the data (a short read) no edge is left to
    /// announce the FIN. HUP alone does not wake the reader: a socket that is not connected yet reports it (a
    /// client registers before connecting), and a connected socket that hangs up always reports RDHUP or ERR too.
    /// Waking the reader for nothing would make it rent a block and then wait with it.
    /// PRI (TCP urgent data) is noted for <see cref="ReceiveAsync"/>: a recv stops short at the urgent mark.
    /// </remarks>
    public void OnEvents(uint events)
    {
        if ((events & LinuxInterop.EpollPri) != 0)
        {
            Volatile.Write(ref _urgent, 1);
        }

        if ((events & (LinuxInterop.EpollRdHup | LinuxInterop.EpollErr)) != 0)
        {
            _read.Close();
        }
        else if ((events & LinuxInterop.EpollIn) != 0)
        {
            _read.Signal();
        }

        if ((events & LinuxInterop.EpollErr) != 0)
        {
            _writeErrored = true;
            Interlocked.MemoryBarrier();
            Volatile.Read(ref _write)?.Close();
        }
        else if ((events & (LinuxInterop.EpollOut | LinuxInterop.EpollHup)) != 0)
        {
            // Nobody has waited for room yet (the write side is created at the first send): nothing to signal, and
            // the first send observes before its system call, so it cannot miss a later edge.
            Volatile.Read(ref _write)?.Signal();
        }
    }

    /// <remarks>
    /// The empty receive (the pump's wait after a short read) trusts that the short read emptied the socket, so it
    /// waits for the next edge. TCP urgent data breaks that: recv stops at the urgent mark even when more bytes are
    /// queued behind it, and no new edge comes for them; the connection would stall until the peer sends again. The
    /// PRI event that announced the urgent data is therefore spent here on one more receive instead of a wait: one
    /// read of a flag per wait in the normal path, no extra system call.
    /// </remarks>
    public override ValueTask<int> ReceiveAsync(Memory<byte> memory)
    {
        if (memory.IsEmpty)
        {
            // Only a wait that would really block spends the flag: one that completes at once (an edge came since the
            // last receive) is followed by a receive anyway, and the flag must outlive it for the stop at the mark.
            if (Volatile.Read(ref _urgent) != 0 && !_read.IsReady && Interlocked.Exchange(ref _urgent, 0) != 0)
            {
                return new ValueTask<int>(0);
            }

            return _read.WaitAsync();
        }

        _read.Observe();
        var received = TryReceive(memory.Span);
        return received >= 0 ? new ValueTask<int>(received) : ReceiveWhenReadableAsync(memory);
    }

    /// <remarks>The urgent-data flag is spent here as in the empty <see cref="ReceiveAsync"/>.</remarks>
    public override bool WaitForData(Action<object?> onReadable, object state)
    {
        if (Volatile.Read(ref _urgent) != 0 && !_read.IsReady && Interlocked.Exchange(ref _urgent, 0) != 0)
        {
            return true;
        }

        return _read.WaitThen(onReadable, state);
    }

    public override ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        Write.Observe();
        var sent = TrySend(buffer, out var attempted);
        if (sent == buffer.Length)
        {
            return default;
        }

        return SendRestAsync(buffer.Slice(Math.Max(sent, 0)), waitFirst: sent < attempted);
    }

    public override bool SendsWithoutWaiting => true;

    public override long SendNow(in ReadOnlySequence<byte> bytes)
    {
        // One segment (the usual case) with a plain send: no pin of the caller's memory beyond the call's `fixed`.
        var sent = bytes.IsSingleSegment ? TrySendSpan(bytes.FirstSpan) : TrySend(bytes, out _);
        return sent < 0 ? 0 : sent;
    }

    public override void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // Not yet the waiters: their continuations would run here, under the caller's lock (see WakeWaiters).

        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            _loop.Unregister(Fd, _registration, this);
        }
        catch (ObjectDisposedException)
        {
            // Already closed: the kernel dropped the registration with the descriptor; the loop only has to free
            // the handle.
            _loop.Unregister(-1, _registration, this);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    public override void WakeWaiters()
    {
        _read.Close();
        Volatile.Read(ref _write)?.Close();
    }

    /// <summary>
    /// Ends the connection from the engine's side (its loop failed, or a continuation threw out of its wake-up): every
    /// later operation fails with a <see cref="ConnectionAbortedException"/> carrying <paramref name="message"/>, and
    /// the waiting loops wake up (on this thread) to see it.
    /// </summary>
    public void Fail(string message, Exception? cause)
    {
        if (_failure is null)
        {
            _failureCause = cause;
            _failure = message;
        }

        Interlocked.MemoryBarrier();
        _read.Close();
        Volatile.Read(ref _write)?.Close();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveWhenReadableAsync(Memory<byte> memory)
    {
        while (true)
        {
            await _read.WaitAsync().ConfigureAwait(false);
            _read.Observe();
            var received = TryReceive(memory.Span);
            if (received >= 0)
            {
                return received;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendRestAsync(ReadOnlySequence<byte> rest, bool waitFirst)
    {
        while (!rest.IsEmpty)
        {
            if (waitFirst)
            {
                await Write.WaitAsync().ConfigureAwait(false);
            }

            Write.Observe();
            var sent = TrySend(rest, out var attempted);
            rest = rest.Slice(Math.Max(sent, 0));

            // A partial send of everything offered means the socket buffer is full: wait for room. A full send of
            // the first MaxGather segments only means there are more segments: go on at once.
            waitFirst = sent < attempted;
        }
    }

    /// <summary>One <c>recv</c>: the byte count (0 at FIN), or -1 when it would block.</summary>
    private unsafe int TryReceive(Span<byte> span)
    {
        ThrowIfClosed();
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            fixed (byte* pointer = span)
            {
                nint received;
                while ((received = LinuxInterop.Recv(Fd, pointer, (nuint)span.Length, 0)) < 0 && RetryAfterFailure())
                {
                }

                return (int)received;
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// One gathered <c>sendmsg</c> of up to <see cref="MaxGather"/> segments: the bytes sent, or -1 when it would
    /// block; <paramref name="attempted"/> is how many bytes were offered.
    /// </summary>
    private unsafe long TrySend(in ReadOnlySequence<byte> buffer, out long attempted)
    {
        var vectors = stackalloc LinuxInterop.IOVector[MaxGather];
        var pins = default(PinBuffer);
        var count = 0;
        attempted = 0;
        var added = false;
        try
        {
            foreach (var segment in buffer)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                if (count == MaxGather)
                {
                    break;
                }

                // Pool blocks are pre-pinned: Pin() takes no GCHandle for them.
                pins[count] = segment.Pin();
                vectors[count].Base = (byte*)pins[count].Pointer;
                vectors[count].Length = (nuint)segment.Length;
                attempted += segment.Length;
                count++;
            }

            if (count == 0)
            {
                return 0;
            }

            ThrowIfClosed();
            var message = default(LinuxInterop.MessageHeader);
            message.IOVectors = vectors;
            message.IOVectorCount = (nuint)count;
            _handle.DangerousAddRef(ref added);
            nint sent;
            while ((sent = LinuxInterop.SendMsg(Fd, &message, LinuxInterop.MsgNoSignal)) < 0 && RetryAfterFailure())
            {
            }

            return sent;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }

            for (var i = 0; i < count; i++)
            {
                pins[i].Dispose();
            }
        }
    }

    /// <summary>One <c>send</c> of <paramref name="bytes"/>: the bytes sent, or -1 when it would block.</summary>
    private unsafe long TrySendSpan(ReadOnlySpan<byte> bytes)
    {
        ThrowIfClosed();
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            nint sent;
            fixed (byte* pointer = bytes)
            {
                while ((sent = LinuxInterop.Send(Fd, pointer, (nuint)bytes.Length, LinuxInterop.MsgNoSignal)) < 0 && RetryAfterFailure())
                {
                }
            }

            return sent;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// After a system call returned -1: <see langword="true"/> to retry it (EINTR), <see langword="false"/> when it
    /// would block (EAGAIN: the caller returns -1 and waits); any other error is thrown as a <see cref="SocketException"/>.
    /// </summary>
    private static bool RetryAfterFailure()
    {
        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            LinuxInterop.EIntr => true,
            LinuxInterop.EAgain => false,
            _ => throw new SocketException((int)LinuxInterop.ToSocketError(errno)),
        };
    }

    private void ThrowIfClosed()
    {
        // The socket may still be open for a moment after Close (the pump disposes it next): fail as aborted rather
        // than call into a descriptor the engine no longer watches.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (_failure is { } failure)
        {
            throw new ConnectionAbortedException(failure, _failureCause);
        }
    }

    [InlineArray(MaxGather)]
    private struct PinBuffer
    {
        private MemoryHandle _element;
    }
}
