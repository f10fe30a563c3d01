using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TcpToolkit.Datagrams;

/// <summary>
/// Settings for a <see cref="UdpEndpoint"/>, read once by <see cref="UdpEndpoint.Bind"/>. Every setter validates.
/// Nothing here can be made unlimited: a UDP endpoint's memory is bounded by <see cref="MaxDatagramSize"/> and
/// <see cref="ReceiveQueueCapacity"/>, and what does not fit is dropped and counted, never buffered without end.
/// </summary>
public sealed class UdpEndpointOptions
{
    /// <summary>The largest UDP payload over IPv4: 65,535 (IP total length) - 20 (IP header) - 8 (UDP header).</summary>
    public const int MaxIPv4DatagramSize = 65_507;

    /// <summary>The largest UDP payload over IPv6 without jumbograms: 65,535 (payload length) - 8 (UDP header).</summary>
    public const int MaxIPv6DatagramSize = 65_527;

    private int _maxDatagramSize = MaxIPv4DatagramSize;
    private int _receiveQueueCapacity = 256;
    private int? _receiveBufferSize;
    private int _multicastInterfaceIndex;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Gets or sets the largest datagram payload received whole, in bytes. A bigger datagram is delivered cut to
    /// this size with <see cref="Datagram.IsTruncated"/> set, counted in <see cref="UdpEndpoint.DatagramsTruncated"/>
    /// and logged at Debug: never cut silently. The endpoint receives into one buffer of this size + 1, which is how
    /// it tells a datagram of exactly this size from a bigger one (on Linux, .NET's <c>ReceiveFromAsync</c> cuts a
    /// datagram to the buffer without an error or a flag). Sends are not limited by it; the operating system rejects
    /// a payload over <see cref="MaxIPv4DatagramSize"/> (IPv4) or <see cref="MaxIPv6DatagramSize"/> (IPv6) with
    /// <see cref="System.Net.Sockets.SocketError.MessageSize"/>. The default value is 65,507
    /// (<see cref="MaxIPv4DatagramSize"/>); the largest allowed is <see cref="MaxIPv6DatagramSize"/>.
    /// </summary>
    public int MaxDatagramSize
    {
        get => _maxDatagramSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxIPv6DatagramSize);
            _maxDatagramSize = value;
        }
    }

    /// <summary>
    /// Gets or sets how many received datagrams may wait for the reader of <see cref="UdpEndpoint.ReadAllAsync"/>.
    /// When the queue is full the endpoint keeps draining the socket and drops the newest datagram (the one just
    /// received), as the kernel does when its socket buffer is full: counted in
    /// <see cref="UdpEndpoint.DatagramsDropped"/> and logged at Warning at most once a second. Queued datagrams sit
    /// in pooled buffers sized to their payload (rounded up to a power of two), so the queue holds at most about this
    /// many times <see cref="MaxDatagramSize"/> bytes, and far less for small datagrams. The default value is 256.
    /// </summary>
    public int ReceiveQueueCapacity
    {
        get => _receiveQueueCapacity;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _receiveQueueCapacity = value;
        }
    }

    /// <summary>
    /// Gets or sets the socket's kernel receive buffer (<c>SO_RCVBUF</c>) in bytes: what absorbs a burst before the
    /// endpoint's receive loop takes the datagrams. The kernel may round it, cap it (Linux: <c>net.core.rmem_max</c>)
    /// or double it for its bookkeeping. The default value is <see langword="null"/> (the operating system's default,
    /// 208 KiB on most Linux systems).
    /// </summary>
    public int? ReceiveBufferSize
    {
        get => _receiveBufferSize;
        set
        {
            if (value is <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive, or null for the operating system's default.");
            }

            _receiveBufferSize = value;
        }
    }

    /// <summary>
    /// Gets or sets whether the socket may send to broadcast addresses (<c>SO_BROADCAST</c>); without it such a send
    /// fails with <see cref="System.Net.Sockets.SocketError.AccessDenied"/>. The default value is <see langword="false"/>.
    /// </summary>
    public bool EnableBroadcast { get; set; }

    /// <summary>
    /// Gets or sets the index of the network interface that multicast goes out of and that
    /// <see cref="UdpEndpoint.JoinMulticastGroup"/> joins on (<c>IP_MULTICAST_IF</c>/<c>IPV6_MULTICAST_IF</c>);
    /// <see cref="System.Net.NetworkInformation.NetworkInterface.LoopbackInterfaceIndex"/> keeps multicast on this
    /// machine. The default value is 0: the operating system picks the interface from its routes.
    /// </summary>
    public int MulticastInterfaceIndex
    {
        get => _multicastInterfaceIndex;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _multicastInterfaceIndex = value;
        }
    }

    /// <summary>
    /// Gets or sets whether multicast this endpoint sends is also delivered to this machine's members of the group
    /// (<c>IP_MULTICAST_LOOP</c>/<c>IPV6_MULTICAST_LOOP</c>), this endpoint included. The default value is
    /// <see langword="true"/>.
    /// </summary>
    public bool MulticastLoopback { get; set; } = true;

    /// <summary>Gets or sets the logger factory. The default value is <see cref="NullLoggerFactory.Instance"/> (no logging).</summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Gets or sets the clock that spaces the dropped-datagram warnings (at most one a second). The default value is
    /// <see cref="TimeProvider.System"/>; tests use a fake.
    /// </summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }
}
