using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// One I/O thread blocked in <c>epoll_wait</c> over the sockets assigned to it, one loop per processor (Kestrel's
/// IOQueue count, Netty's event-loop group). Sockets register once, edge-triggered for reading and writing; an event
/// wakes the waiting receive or send loop of <see cref="EpollSocketIO"/> <em>on this thread</em>, so a receive, the
/// application's processing of it and the send of its reply run back to back without a thread-pool hop.
/// </summary>
/// <remarks>
/// .NET's own socket engine is built the same way but hands every completion to the thread pool unless
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> is set for the whole process; on one core that hop and its
/// context switch cost a quarter of the throughput. Each registration carries a <see cref="GCHandle"/> to its
/// socket as the event's data; handles are freed by this thread after the batch of events that may still name them.
/// </remarks>
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;

    /// <summary>
    /// How long a loop that just handled events keeps polling before it blocks (50 µs): a reply often comes back
    /// within tens of microseconds, and catching it without a sleep and a wake-up shortens a round trip (.NET's thread
    /// pool spins before it sleeps for the same reason). A loop under load never blocks anyway.
    /// </summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;

    private static readonly Lazy<EpollLoop[]?> s_loops = new(CreateLoops);
    private static uint s_next;

    private readonly int _epollFd;
    private readonly ConcurrentQueue<nint> _handlesToFree = new();

    private EpollLoop(int epollFd, int index)
    {
        _epollFd = epollFd;
        var thread = new Thread(Run)
        {
            IsBackground = true,
            Name = "TcpToolkit epoll " + index.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        thread.UnsafeStart();
    }

    /// <summary>
    /// Gets whether the engine runs here: Linux on x64 or arm64 with glibc, and not switched off with the
    /// <c>TcpToolkit.UseDotNetSocketEngine</c> AppContext switch (runtimeconfig.json).
    /// </summary>
    public static bool IsSupported => s_loops.Value is not null;

    /// <summary>Picks the loop for a new socket, round-robin.</summary>
    public static EpollLoop Next()
    {
        var loops = s_loops.Value ?? throw new PlatformNotSupportedException("The epoll engine needs Linux with glibc.");
        return loops[Interlocked.Increment(ref s_next) % (uint)loops.Length];
    }

    /// <summary>Adds <paramref name="fd"/> for edge-triggered read and write readiness, reported to <paramref name="target"/>.</summary>
    /// <returns>The handle to pass to <see cref="Unregister"/>.</returns>
    public nint Register(int fd, EpollSocketIO target)
    {
        var handle = GCHandle.ToIntPtr(GCHandle.Alloc(target));
        var ev = stackalloc byte[16];
        *(uint*)ev = LinuxInterop.EpollIn | LinuxInterop.EpollOut | LinuxInterop.EpollRdHup | LinuxInterop.EpollEdgeTriggered;
        *(ulong*)(ev + LinuxInterop.EpollDataOffset) = (ulong)handle;
        if (LinuxInterop.EpollCtl(_epollFd, LinuxInterop.EpollCtlAdd, fd, ev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            GCHandle.FromIntPtr(handle).Free();
            throw new System.Net.Sockets.SocketException((int)LinuxInterop.ToSocketError(errno));
        }

        return handle;
    }

    /// <summary>
    /// Removes <paramref name="fd"/> (call it before the descriptor is closed) and frees the handle once no event
    /// fetched before the removal can still name it.
    /// </summary>
    public void Unregister(int fd, nint handle)
    {
        // The descriptor is still open (the caller holds a reference on its SafeHandle), so this cannot hit a reused fd.
        _ = LinuxInterop.EpollCtl(_epollFd, LinuxInterop.EpollCtlDel, fd, null);
        _handlesToFree.Enqueue(handle);
    }

    private static EpollLoop[]? CreateLoops()
    {
        if (!OperatingSystem.IsLinux()
            || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)
            || (AppContext.TryGetSwitch("TcpToolkit.UseDotNetSocketEngine", out var useDotNet) && useDotNet))
        {
            return null;
        }

        var count = Math.Clamp(Environment.ProcessorCount, 1, 16);
        var loops = new EpollLoop[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                var fd = LinuxInterop.EpollCreate(LinuxInterop.EpollCloexec);
                if (fd < 0)
                {
                    return null;
                }

                loops[i] = new EpollLoop(fd, i);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for instance): .NET's own engine serves.
            return null;
        }

        return loops;
    }

    private void Run()
    {
        var stride = LinuxInterop.EpollEventSize;
        var dataOffset = LinuxInterop.EpollDataOffset;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * stride));
        long spinUntil = 0;
        while (true)
        {
            // Poll without blocking for a moment after a batch (see SpinTicks), then block.
            var polling = spinUntil != 0 && Stopwatch.GetTimestamp() < spinUntil;
            var count = LinuxInterop.EpollWait(_epollFd, events, MaxEvents, polling ? 0 : -1);
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxInterop.EIntr)
                {
                    continue;
                }

                Environment.FailFast("epoll_wait failed with errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (count == 0)
            {
                continue;
            }

            for (var i = 0; i < count; i++)
            {
                var ev = events + (i * stride);
                var target = (EpollSocketIO)GCHandle.FromIntPtr((nint)(*(ulong*)(ev + dataOffset))).Target!;
                target.OnEvents(*(uint*)ev);
            }

            while (_handlesToFree.TryDequeue(out var handle))
            {
                GCHandle.FromIntPtr(handle).Free();
            }

            spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
        }
    }
}
