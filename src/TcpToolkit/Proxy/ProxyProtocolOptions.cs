using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections.Internal;

namespace TcpToolkit.Proxy;

/// <summary>
/// Settings for the PROXY protocol middleware (<see cref="ProxyProtocolExtensions.UseProxyProtocol"/>), read when the
/// pipeline is built (the server's <c>StartAsync</c>); the rejection counters are written by the middleware as it
/// runs. Every setter validates.
/// </summary>
/// <remarks>
/// When the middleware is enabled on an endpoint, every connection must start with a header, and only connections
/// whose socket peer is a trusted proxy may send one (the specification: a receiver must not guess whether a header is
/// present, and should accept it only from known sources, or any client could claim any address).
/// </remarks>
public sealed class ProxyProtocolOptions
{
    /// <summary>The largest header the protocol can express: the 16-byte version 2 prefix and a 65,535-byte block.</summary>
    internal const int LargestHeader = 16 + ushort.MaxValue;

    /// <summary>The smallest allowed limit: every header without TLVs fits (version 2 over AF_UNIX: 16 + 2 x 108).</summary>
    internal const int SmallestLimit = 16 + 216;

    private readonly long[] _rejections = new long[(int)ProxyProtocolError.Untrusted + 1];
    private int _maxHeaderSize = 4096;
    private TimeSpan? _headerTimeout = TimeSpan.FromSeconds(5);
    private TimeProvider _timeProvider = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    /// <summary>
    /// Gets the networks of the proxies that may send a header. A connection whose socket peer is in none of them is
    /// closed before any byte is read (<see cref="ProxyProtocolError.Untrusted"/>). An IPv4-mapped IPv6 peer (a
    /// dual-mode listener) is matched as the IPv4 address it maps. The default value holds the loopback networks
    /// <c>127.0.0.0/8</c> and <c>::1/128</c>; add your load balancers' addresses, or clear it and add them alone.
    /// </summary>
    public IList<IPNetwork> TrustedProxies { get; } =
        [new IPNetwork(IPAddress.Parse("127.0.0.0"), 8), new IPNetwork(IPAddress.IPv6Loopback, 128)];

    /// <summary>
    /// Gets or sets whether peers of a Unix domain socket listener may send a header. Such a peer has no address to
    /// match against <see cref="TrustedProxies"/>: who can connect is decided by the socket file's permissions. The
    /// default value is <see langword="false"/>: set it when a local proxy (HAProxy's <c>send-proxy</c> to a
    /// <c>unix@</c> server) is the only one who can open the socket.
    /// </summary>
    public bool TrustUnixDomainSocketPeers { get; set; }

    /// <summary>
    /// Gets or sets the largest header accepted, in bytes. A version 2 header that announces more (16 bytes plus its
    /// length field) is refused with <see cref="ProxyProtocolError.TooLarge"/> as soon as its first 16 bytes arrive,
    /// before the rest is buffered; a version 1 line is limited to 107 bytes by the specification. The default value
    /// is 4,096, room for every address family and the TLVs that load balancers send; the allowed range is 232 (a
    /// version 2 AF_UNIX header without TLVs) to 65,551 (the largest version 2 header).
    /// </summary>
    public int MaxHeaderSize
    {
        get => _maxHeaderSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, SmallestLimit);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, LargestHeader);
            _maxHeaderSize = value;
        }
    }

    /// <summary>
    /// Gets or sets how long a connection may take to deliver its whole header after the middleware starts reading;
    /// then it is refused with <see cref="ProxyProtocolError.Timeout"/>. The specification asks for at least 3 seconds
    /// (a TCP retransmit). The default value is 5 seconds; <see langword="null"/> waits without a limit (the server's
    /// <c>FirstByteTimeout</c> and <c>MinReceiveDataRate</c> still apply).
    /// </summary>
    public TimeSpan? HeaderTimeout
    {
        get => _headerTimeout;
        set => _headerTimeout = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>Gets or sets the clock of <see cref="HeaderTimeout"/>. The default value is <see cref="TimeProvider.System"/>; tests use a fake.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Gets or sets the logger factory (category <c>TcpToolkit.Proxy</c>, event IDs 600-699). The default value is
    /// <see cref="NullLoggerFactory.Instance"/> (no logging).
    /// </summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets the number of connections the middleware refused, for any reason, since these options were created.</summary>
    public long RejectedConnectionCount
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _rejections.Length; i++)
            {
                total += Interlocked.Read(ref _rejections[i]);
            }

            return total;
        }
    }

    /// <summary>Gets the number of connections the middleware refused for one reason.</summary>
    /// <param name="error">The reason.</param>
    /// <returns>How many connections were refused for <paramref name="error"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="error"/> is not a defined value.</exception>
    public long GetRejectedConnectionCount(ProxyProtocolError error)
    {
        if ((int)error <= 0 || (int)error >= _rejections.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(error), error, "Not a ProxyProtocolError value.");
        }

        return Interlocked.Read(ref _rejections[(int)error]);
    }

    internal void CountRejection(ProxyProtocolError error) => Interlocked.Increment(ref _rejections[(int)error]);
}
