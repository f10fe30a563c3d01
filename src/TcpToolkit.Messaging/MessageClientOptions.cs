using System.Buffers;
using TcpToolkit.Connections;
using TcpToolkit.Connections.Internal;
using TcpToolkit.Framing;
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
    private int _maxFrameLength = Envelope.DefaultMaxFrameLength;
    private TimeSpan _reconnectInitialDelay = TimeSpan.FromMilliseconds(100);
    private TimeSpan _reconnectMaxDelay = TimeSpan.FromSeconds(30);
    private int? _maxReconnectAttempts;
    private Func<double> _jitterSource = Random.Shared.NextDouble;
    private TimeSpan? _heartbeatInterval = TimeSpan.FromSeconds(15);
    private TimeSpan _heartbeatTimeout = TimeSpan.FromSeconds(10);
    private int _oneWayQueueCapacity;
    private TcpClientOptions _transport = new();

    /// <summary>
    /// Gets or sets how long a request may take in total (waiting for a free slot, for a connection, and for the reply)
    /// before it fails with <see cref="TimeoutException"/>. Defaults to 30 seconds. <see langword="null"/> is no timeout:
    /// a request then waits until its token fires or the connection is lost.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? RequestTimeout
    {
        get => _requestTimeout;
        set => _requestTimeout = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many requests may wait for a reply at once. Further requests wait for a slot (within their
    /// timeout), so a slow server slows the caller down instead of growing a queue. Defaults to 100.
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
    /// Gets or sets the largest message sent or accepted, in bytes on the wire (the 9-byte header included). A longer
    /// request fails with <see cref="FrameTooLargeException"/> before anything is sent; a longer incoming message is a
    /// protocol error that drops the connection. Defaults to 1 MiB (1,048,576); match the server's setting.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is smaller than the 9-byte header.</exception>
    public int MaxFrameLength
    {
        get => _maxFrameLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Envelope.HeaderLength);
            _maxFrameLength = value;
        }
    }

    /// <summary>
    /// Gets or sets the backoff base: the delay before reconnect attempt <c>n</c> (0-based) is a random value in
    /// [0, min(<see cref="ReconnectMaxDelay"/>, <c>ReconnectInitialDelay * 2^n</c>)] ("full jitter", so many clients
    /// dropped together do not come back together). Defaults to 100 milliseconds.
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
    /// Gets or sets how many reconnect attempts in a row may fail (after a lost connection or a failed first connect)
    /// before the client gives up and closes. 0 never reconnects. Defaults to <see langword="null"/>: retry forever.
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
    /// keepalive off: about interval + timeout + one check (the check runs every min(interval, timeout)). Defaults to
    /// 15 seconds. <see langword="null"/> turns the heartbeat off. Keep the server's idle timeout above it.
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
    /// Gets or sets the callback for server pushes. It runs on the connection's read loop, so it should be quick; the
    /// payload is valid only during the call (copy it to keep it). An exception it throws is logged and the push
    /// dropped. Defaults to <see langword="null"/>: pushes are dropped.
    /// </summary>
    public Action<ReadOnlySequence<byte>>? PushReceived { get; set; }

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

    private static TimeSpan PositiveFinite(TimeSpan value, string paramName)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive.");
        }

        return value;
    }
}
