using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Connections.Internal;

namespace TcpToolkit.Transport;

/// <summary>
/// Settings for a <see cref="TcpServer"/>. Limits use <see langword="null"/> for unlimited and nothing else; every
/// setter validates. Unlimited buffers let a client that does not read (or floods) grow the server's memory: keep
/// limits on for untrusted clients.
/// </summary>
public sealed class TcpServerOptions : TcpConnectionOptions
{
    private int _backlog = int.MaxValue;
    private int? _maxConnections;
    private TimeSpan _shutdownTimeout = TimeSpan.FromSeconds(5);
    private TimeSpan? _idleTimeout;
    private TimeSpan? _firstByteTimeout;
    private TimeSpan? _writeTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets the endpoints to listen on: <see cref="IPEndPoint"/> (IPv4 or IPv6; port 0 picks a free port;
    /// <see cref="IPAddress.IPv6Any"/> listens dual-mode, IPv4 and IPv6) or
    /// <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>. At least one is required.
    /// </summary>
    public IList<EndPoint> EndPoints { get; } = [];

    /// <summary>Gets the per-endpoint middleware registered by <see cref="Listen"/>, by endpoint instance.</summary>
    internal Dictionary<EndPoint, ConnectionBuilder> EndPointMiddleware { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Adds an endpoint with middleware of its own, which runs inside the server-wide
    /// <see cref="TcpConnectionOptions.Middleware"/>: the place for TLS on one port and not another, or the PROXY
    /// protocol on the port a load balancer connects to.
    /// </summary>
    /// <param name="endPoint">The endpoint, as in <see cref="EndPoints"/>.</param>
    /// <param name="configure">Adds the endpoint's middleware, outermost first.</param>
    /// <returns>These options, for chaining.</returns>
    public TcpServerOptions Listen(EndPoint endPoint, Action<ConnectionBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new ConnectionBuilder();
        configure(builder);
        EndPoints.Add(endPoint);
        EndPointMiddleware[endPoint] = builder;
        return this;
    }

    /// <summary>
    /// Gets or sets the listen backlog: how many connections the OS queues until the server accepts them; a connection
    /// that finds the queue full is dropped or refused. Defaults to <see cref="int.MaxValue"/>, which the OS clamps
    /// to its maximum, as <see cref="System.Net.Sockets.Socket.Listen()"/> does (on Linux <c>net.core.somaxconn</c>,
    /// 4096 since kernel 5.4): Kestrel's 512 dropped about half of a burst of 10,000 connections. A smaller value
    /// only lowers the OS maximum.
    /// </summary>
    public int Backlog
    {
        get => _backlog;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _backlog = value;
        }
    }

    /// <summary>
    /// Gets or sets whether the listening sockets set <c>SO_REUSEPORT</c> (Linux), so several processes (or several
    /// servers in one process) can listen on the same address and port and the kernel spreads new connections over
    /// them by a hash of the client's address and port: the way to run one instance per core, or to start a new
    /// version beside the old one and stop the old one without refusing a connection. Every listener on the port must
    /// set it, and run as the same user. A connection waiting in the backlog of a listener that closes is reset, so
    /// stop an instance only after its replacement listens. Defaults to <see langword="false"/>; on systems other
    /// than Linux setting it makes <see cref="TcpServer.StartAsync"/> throw <see cref="PlatformNotSupportedException"/>.
    /// </summary>
    public bool ReusePort { get; set; }

    /// <summary>
    /// Gets or sets the maximum number of open connections; a connection over it is closed at once, counted in
    /// <see cref="TcpServer.RejectedConnectionCount"/>, and logged. Defaults to <see langword="null"/> (unlimited).
    /// </summary>
    public int? MaxConnections
    {
        get => _maxConnections;
        set => _maxConnections = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how long <see cref="TcpServer.StopAsync"/> waits for handlers to finish after signalling them
    /// before it aborts the rest. Defaults to 5 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout
    {
        get => _shutdownTimeout;
        set => _shutdownTimeout = OptionGuards.Positive(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how long a connection may neither receive nor send a byte before it is closed with
    /// <see cref="CloseReason.IdleTimeout"/> (a half-closed peer that still downloads is not idle; a connection
    /// draining in <see cref="TcpConnection.CloseAsync"/> is bounded by the close timeout instead). Defaults to <see langword="null"/> (no idle timeout), because many
    /// protocols keep quiet connections open; set it for untrusted clients.
    /// </summary>
    public TimeSpan? IdleTimeout
    {
        get => _idleTimeout;
        set => _idleTimeout = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how long after the accept the first byte may take before the connection is closed with
    /// <see cref="CloseReason.FirstByteTimeout"/>: a peer that connects and stays silent. Defaults to
    /// <see langword="null"/> (none), because in some protocols the server speaks first.
    /// </summary>
    public TimeSpan? FirstByteTimeout
    {
        get => _firstByteTimeout;
        set => _firstByteTimeout = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets the rate at which a peer must send the rest of a message it has started, once the grace period
    /// has passed; a slower peer (slowloris) is closed with <see cref="CloseReason.MinDataRate"/>. A message is "started"
    /// while the handler has examined bytes it could not yet consume (an incomplete frame); idle connections and
    /// time the handler spends not reading do not count. Defaults to 240 bytes per second after 5 seconds, as Kestrel's
    /// request-body rate; <see langword="null"/> disables it.
    /// </summary>
    public MinDataRate? MinReceiveDataRate { get; set; } = new(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));

    /// <summary>
    /// Gets or sets how long one send may wait for the peer to take the bytes before the connection is closed with
    /// <see cref="CloseReason.WriteTimeout"/>: a peer that stopped reading. Together with
    /// <see cref="TcpConnectionOptions.MaxWriteBufferSize"/> it bounds what a slow consumer can cost. Defaults to 60 seconds;
    /// <see langword="null"/> waits for ever.
    /// </summary>
    public TimeSpan? WriteTimeout
    {
        get => _writeTimeout;
        set => _writeTimeout = OptionGuards.PositiveOrNull(value, nameof(value));
    }
}
