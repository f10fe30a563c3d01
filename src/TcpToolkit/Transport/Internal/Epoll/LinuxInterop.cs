using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// The few Linux system calls the epoll engine makes, bound to glibc with blittable signatures (no marshalling).
/// errno values are the asm-generic ones, which x64 and arm64 share.
/// </summary>
internal static unsafe partial class LinuxInterop
{
    private const string LibC = "libc.so.6";

    public const int EpollCloexec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const uint EpollIn = 0x001;
    public const uint EpollPri = 0x002;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEdgeTriggered = 1u << 31;

    public const int MsgNoSignal = 0x4000;

    public const int FGetFl = 3;
    public const int FSetFl = 4;
    public const int ONonBlock = 0x800;

    public const int EIntr = 4;
    public const int EAgain = 11;

    /// <summary>
    /// Gets the size of <c>struct epoll_event</c>: packed (12 bytes) on x64, naturally aligned (16 bytes) elsewhere.
    /// </summary>
    public static int EpollEventSize { get; } = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Gets where <c>epoll_event.data</c> starts inside the struct.</summary>
    public static int EpollDataOffset { get; } = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(LibC, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport(LibC, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epollFd, int operation, int fd, byte* epollEvent);

    [LibraryImport(LibC, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport(LibC, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(LibC, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibC, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MessageHeader* message, int flags);

    [LibraryImport(LibC, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    /// <summary>Maps an errno from a socket call to the <see cref="SocketError"/> .NET would report for it.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        9 => SocketError.OperationAborted,          // EBADF: closed under us
        11 => SocketError.WouldBlock,               // EAGAIN
        22 => SocketError.InvalidArgument,          // EINVAL
        32 => SocketError.Shutdown,                 // EPIPE
        100 => SocketError.NetworkDown,             // ENETDOWN
        101 => SocketError.NetworkUnreachable,      // ENETUNREACH
        102 => SocketError.NetworkReset,            // ENETRESET
        103 => SocketError.ConnectionAborted,       // ECONNABORTED
        104 => SocketError.ConnectionReset,         // ECONNRESET
        105 => SocketError.NoBufferSpaceAvailable,  // ENOBUFS
        107 => SocketError.NotConnected,            // ENOTCONN
        110 => SocketError.TimedOut,                // ETIMEDOUT
        111 => SocketError.ConnectionRefused,       // ECONNREFUSED
        113 => SocketError.HostUnreachable,         // EHOSTUNREACH
        12 => SocketError.NoBufferSpaceAvailable,   // ENOMEM
        _ => SocketError.SocketError,
    };

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IOVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary><c>struct msghdr</c> (64-bit Linux layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IOVector* IOVectors;
        public nuint IOVectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
