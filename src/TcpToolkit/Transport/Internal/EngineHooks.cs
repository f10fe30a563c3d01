using System.Net.Sockets;
using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// Test seams of the socket engines; internal, never an option. A test sets <see cref="Current"/> in its own async
/// flow before it creates a <c>TcpServer</c> or <c>TcpClient</c>; the <see cref="ConnectionSettings"/> created there
/// keep the hooks, so tests running in parallel never see each other's.
/// </summary>
internal sealed class EngineHooks
{
    private static readonly AsyncLocal<EngineHooks?> s_current = new();

    /// <summary>Gets or sets the hooks for servers and clients created from now on in this async flow.</summary>
    public static EngineHooks? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    /// <summary>Gets the loops the connections use instead of the process-wide ones.</summary>
    public EpollLoopGroup? Loops { get; init; }

    /// <summary>
    /// Gets a callback run before a connection's socket is put on an engine (after accept or connect); throwing there
    /// is a per-connection setup failure such as <c>epoll_ctl</c> failing with ENOSPC.
    /// </summary>
    public Action<Socket>? CreatingSocketIO { get; init; }

    /// <summary>
    /// Gets a callback run while a connection is constructed, after its socket is on an engine; throwing there is a
    /// failure in the connection's constructor.
    /// </summary>
    public Action<Socket>? ConnectionStarting { get; init; }
}
