using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Datagrams.Internal;

/// <summary>
/// Turns a received <see cref="SocketAddress"/> into an <see cref="IPEndPoint"/> without allocating for peers seen
/// recently: the last few endpoints are kept with a copy of their address bytes, and a datagram from one of them
/// (a steady peer, or a handful of them) gets the same object again. A new peer costs one address copy and one
/// endpoint, and replaces the oldest entry.
/// </summary>
internal sealed class RemoteEndPointCache(AddressFamily family)
{
    // Enough for a server with a few steady peers; a linear scan of eight short byte compares is cheaper than hashing.
    private const int Capacity = 8;

    private static readonly IPEndPoint V4Template = new(IPAddress.Any, 0);
    private static readonly IPEndPoint V6Template = new(IPAddress.IPv6Any, 0);

    private readonly Entry?[] _entries = new Entry?[Capacity];
    private readonly IPEndPoint _template = family == AddressFamily.InterNetworkV6 ? V6Template : V4Template;
    private int _next;

    public IPEndPoint Get(SocketAddress address)
    {
        foreach (var entry in _entries)
        {
            if (entry is not null && entry.Address.Equals(address))
            {
                return entry.EndPoint;
            }
        }

        var copy = Copy(address);
        var endPoint = (IPEndPoint)_template.Create(copy);

        // Entries are immutable and swapped whole, so a reader on another thread sees an old or a new entry, never half.
        _entries[_next] = new Entry(copy, endPoint);
        _next = (_next + 1) % Capacity;
        return endPoint;
    }

    /// <summary>An endpoint for <paramref name="address"/>, made fresh: for a log line, not the per-datagram path.</summary>
    public static IPEndPoint CreateUncached(SocketAddress address)
        => (IPEndPoint)(address.Family == AddressFamily.InterNetworkV6 ? V6Template : V4Template).Create(Copy(address));

    private static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    private sealed class Entry(SocketAddress address, IPEndPoint endPoint)
    {
        public SocketAddress Address { get; } = address;

        public IPEndPoint EndPoint { get; } = endPoint;
    }
}
