using TcpToolkit.Connections;
using TcpToolkit.Connections.Internal;
using TcpToolkit.Framing;
using TcpToolkit.Messaging.Internal;
using TcpToolkit.Transport;

namespace TcpToolkit.Messaging;

/// <summary>
/// Settings for a <see cref="MessageClient"/>. Every setter validates; <see langword="null"/> means unlimited or none
/// and nothing else does. Read once, when the client is created.
/// </summary>
/// <remarks>
/// One clock and one logger factory per client: <see cref="Transport"/>'s <see cref="TcpConnectionOptions.TimeProvider"/>
/// and <see cref="TcpConnectionOptions.LoggerFactory"/>. Request timeouts, backoff delays and the heartbeat run on that
/// clock, as do the connect and close timeouts of the TCP connections the client opens, so a fake clock set there
/// drives all of them; messaging events (300-399) and transport events go to that factory. They apply also when
/// <see cref="ConnectionFactory"/> supplies the connections (then only the socket settings of <see cref="Transport"/>
/// are unused).
/// </remarks>
public sealed class MessageClientOptions
{
    private TimeSpan? _requestTimeout = TimeSpan.FromSeconds(30);
    private int _maxInFlightRequests = 100;
    private int _maxFrameLength = Wire.DefaultMaxFrameLength;
    private TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(10);
    private TimeSpan _reconnectInitialDelay = TimeSpan.FromMilliseconds(100);
    private TimeSpan _reconnectMaxDelay = TimeSpan.FromSeconds(30);
    private int? _maxReconnectAttempts;
    private Func<double> _jitterSource = Random.Shared.NextDouble;
    private TimeSpan? _heartbeatInterval = TimeSpan.FromSeconds(15);
    private TimeSpan _heartbeatTimeout = TimeSpan.FromSeconds(10);
    private int _oneWayQueueCapacity;
    private TcpClientOptions _transport = new();

    /// <summary>
    /// Gets or sets how long a request may take in total (waiting for a connection, for room within the server's
    /// limits, and for the reply) before it fails with <see cref="TimeoutException"/>. The deadline travels with the
    /// request: the server's handler token fires when it passes. Defaults to 30 seconds. <see langword="null"/> is no
    /// timeout: a request then waits until its token fires or the connection is lost.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? RequestTimeout
    {
        get => _requestTimeout;
        set => _requestTimeout = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many requests may wait for a reply at once (the server's announced limit caps it further; so
    /// does its limit of buffered request bytes). Further requests wait for room (within their timeout), so a slow
    /// server slows the caller down instead of growing a queue. A request that timed out or was cancelled keeps its
    /// room until the server's answer to it arrives (the server counts it until then). It is also how many of the
    /// server's requests to this client may be in flight. Defaults to 100.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int MaxInFlightRequests
    {
        get => _maxInFlightRequests;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxInFlightRequests = value;
        }
    }

    /// <summary>
    /// Gets or sets the largest frame the client accepts, in bytes on the wire (headers included), announced in the
    /// hello: the server does not send longer replies (it answers <see cref="MessageErrorCode.ReplyTooLarge"/>). The
    /// client's requests are checked against the server's announced limit instead: a longer one fails with
    /// <see cref="FrameTooLargeException"/> before anything is sent. Defaults to 1 MiB (1,048,576).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is smaller than 256.</exception>
    public int MaxFrameLength
    {
        get => _maxFrameLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Wire.MinFrameLength);
            _maxFrameLength = value;
        }
    }

    /// <summary>
    /// Gets or sets how long the hello exchange may take after a connect. A connection whose server does not complete
    /// it (a full server that accepts and closes, a peer that is not a message server) is a failed attempt: the backoff
    /// grows; it is reset only once a server completed the hello. Defaults to 10 seconds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set => _handshakeTimeout = PositiveFinite(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets the backoff base: the delay before reconnect attempt <c>n</c> (0-based) is a random value in
    /// [c/2, c] with c = min(<see cref="ReconnectMaxDelay"/>, <c>ReconnectInitialDelay * 2^n</c>) ("equal jitter": many
    /// clients dropped together do not come back together, and the delay still doubles, so a server that accepts and
    /// drops connections sees at most 7 connects in 5 seconds with the defaults). Attempts count from the last
    /// completed hello exchange, not the last TCP connect. Defaults to 100 milliseconds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan ReconnectInitialDelay
    {
        get => _reconnectInitialDelay;
        set => _reconnectInitialDelay = PositiveFinite(value, nameof(value));
    }

    /// <summary>Gets or sets the cap on the backoff delay (see <see cref="ReconnectInitialDelay"/>). Defaults to 30 seconds.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan ReconnectMaxDelay
    {
        get => _reconnectMaxDelay;
        set => _reconnectMaxDelay = PositiveFinite(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many reconnect attempts in a row may fail (after a lost connection or a failed first connect;
    /// an attempt fails unless the server completes the hello exchange) before the client gives up and closes. 0 never
    /// reconnects. Defaults to <see langword="null"/>: retry forever.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int? MaxReconnectAttempts
    {
        get => _maxReconnectAttempts;
        set
        {
            if (value is < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Must be zero or positive, or null for no limit.");
            }

            _maxReconnectAttempts = value;
        }
    }

    /// <summary>
    /// Gets or sets the source of backoff randomness: a function returning a value in [0, 1] (values outside are
    /// clamped). Defaults to <see cref="Random.Shared"/>'s <see cref="Random.NextDouble"/>. It is called from one thread
    /// at a time. Internal: a test seam, so tests can pass a fixed sequence (issue #11: test seams are not public API).
    /// </summary>
    internal Func<double> JitterSource
    {
        get => _jitterSource;
        set => _jitterSource = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Gets or sets how long the connection may receive nothing before the client sends a ping. With
    /// <see cref="HeartbeatTimeout"/> it bounds how long a dead or half-open server goes unnoticed, even with TCP
    /// keepalive off: about interval + timeout. A server may announce a shorter interval
    /// (<see cref="MessageServerOptions.ClientPingInterval"/>), which then applies. Defaults to 15 seconds.
    /// <see langword="null"/> turns the heartbeat off (unless the server announces one).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? HeartbeatInterval
    {
        get => _heartbeatInterval;
        set => _heartbeatInterval = value is { } span ? PositiveFinite(span, nameof(value)) : null;
    }

    /// <summary>
    /// Gets or sets how long after a ping the client waits for any message from the server before it drops the
    /// connection (pending requests fail with <see cref="ConnectionLostException"/>) and reconnects. Defaults to 10 seconds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan HeartbeatTimeout
    {
        get => _heartbeatTimeout;
        set => _heartbeatTimeout = PositiveFinite(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many one-way messages are kept (as pooled copies) while the client has no connection; they are
    /// sent in order once it reconnects. When the queue is full, or the capacity is 0, a one-way send without a
    /// connection fails with <see cref="ConnectionLostException"/>. Defaults to 0 (no queue).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int OneWayQueueCapacity
    {
        get => _oneWayQueueCapacity;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _oneWayQueueCapacity = value;
        }
    }

    /// <summary>
    /// Gets or sets the handler of what the server sends on its own: one-way messages (pushes) and requests (answered
    /// with what it writes to <see cref="RequestContext.Reply"/>). It runs on the thread pool, never on the connection's
    /// read loop, one message at a time per connection, in arrival order. Defaults to <see langword="null"/>: one-way
    /// messages are dropped and requests answered <see cref="MessageErrorCode.UnknownMethod"/>.
    /// </summary>
    public Func<RequestContext, CancellationToken, ValueTask>? Handler { get; set; }

    /// <summary>
    /// Gets or sets a hook that runs after each connect (the first and every reconnect), once the hello exchange is done
    /// and before requests waiting for the connection flow: re-authenticate, resubscribe, using the
    /// <see cref="MessageSession"/> it gets (requests sent on it go first). If it throws, the connection is dropped and
    /// the attempt counts as failed. Defaults to <see langword="null"/>.
    /// </summary>
    public Func<MessageSession, CancellationToken, ValueTask>? Connected { get; set; }

    /// <summary>
    /// Gets or sets metadata sent in the hello of every connection (an authentication token, a client name); the server
    /// reads it from <see cref="MessageSession.RemoteMetadata"/>. Same limits as <see cref="RequestOptions.Metadata"/>.
    /// Defaults to <see langword="null"/> (none).
    /// </summary>
    public IReadOnlyDictionary<string, string>? HelloMetadata { get; set; }

    /// <summary>Gets or sets the serializer of typed calls. Defaults to <see langword="null"/>: bytes only.</summary>
    public IMessageSerializer? Serializer { get; set; }

    /// <summary>
    /// Gets or sets where connections come from: <see langword="null"/> (the default) for a <see cref="TcpClient"/>
    /// the client creates from <see cref="Transport"/> and disposes with itself; or any other
    /// <see cref="IConnectionFactory"/>, such as a <see cref="TcpClient"/> with its own options and middleware, or an
    /// <see cref="InMemory.InMemoryServer"/> in tests. The client asks it for a connection to its remote endpoint on each connect and
    /// reconnect; an attempt that throws counts as a failed attempt (backoff, then a new attempt). The caller owns a
    /// factory set here: the client does not dispose it.
    /// </summary>
    public IConnectionFactory? ConnectionFactory { get; set; }

    /// <summary>
    /// Gets or sets the transport settings: the client's clock and logger factory (see the remarks of
    /// <see cref="MessageClientOptions"/>), and, when <see cref="ConnectionFactory"/> is <see langword="null"/>, the
    /// socket settings of each connection (connect timeout, buffer sizes, TCP keepalive, client middleware). Defaults
    /// to new <see cref="TcpClientOptions"/>: the system clock and no logging.
    /// </summary>
    public TcpClientOptions Transport
    {
        get => _transport;
        set => _transport = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets or sets the protocol version the client speaks (a test seam for the mismatch; not public API).</summary>
    internal ushort ProtocolVersion { get; set; } = Wire.Version;

    /// <summary>Gets or sets what to call when a pong arrives (a test seam for the heartbeat; not public API).</summary>
    internal Action? PongReceived { get; set; }

    /// <summary>Gets or sets the first request id of each connection (a test seam for the wrap-around; not public API).</summary>
    internal ulong FirstRequestId { get; set; } = 1;

    private static TimeSpan PositiveFinite(TimeSpan value, string paramName)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive.");
        }

        return value;
    }
}
