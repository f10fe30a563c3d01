using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections;
using TcpToolkit.Connections.Internal;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Messaging;

/// <summary>Settings for a <see cref="MessageServer"/>. Every setter validates; read once, when the first connection arrives.</summary>
/// <remarks>
/// Memory per connection is bounded in bytes: the payloads of the client's requests in flight stay within
/// <see cref="MaxBufferedBytesPerConnection"/> and their count within <see cref="MaxRequestsInFlightPerConnection"/>
/// (both announced in the hello, and kept by <see cref="MessageClient"/>; a client that exceeds them breaks the protocol
/// and is closed with <see cref="CloseReason.ProtocolError"/>); answers the client does not take wait in at most
/// <see cref="MaxBufferedBytesPerConnection"/> more (then no further handler starts for that connection, so its
/// requests stay in flight until it reads or exceeds the limits). Add one reply per running handler and the
/// transport's own buffers.
/// </remarks>
public sealed class MessageServerOptions
{
    private int _maxConcurrentRequestsPerConnection = 1;
    private int _maxRequestsInFlightPerConnection = 128;
    private int _maxBufferedBytesPerConnection = 4 * 1024 * 1024;
    private int _maxFrameLength = Wire.DefaultMaxFrameLength;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;
    private TimeSpan? _clientPingInterval;
    private TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how many requests of one connection run their handler at the same time. Defaults to 1: requests
    /// are handled one after another in arrival order, so replies come back in order. Above 1, handlers run in parallel
    /// (up to this many) and replies come back as they finish, matched by request id. Handlers run on the thread pool,
    /// never on the connection's read loop.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int MaxConcurrentRequestsPerConnection
    {
        get => _maxConcurrentRequestsPerConnection;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxConcurrentRequestsPerConnection = value;
        }
    }

    /// <summary>
    /// Gets or sets how many requests of one connection may be in flight (received and not yet answered: queued or
    /// running). Announced to the client in the hello; a client that sends more is closed as a protocol error.
    /// Defaults to 128.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int MaxRequestsInFlightPerConnection
    {
        get => _maxRequestsInFlightPerConnection;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxRequestsInFlightPerConnection = value;
        }
    }

    /// <summary>
    /// Gets or sets the bound, in bytes, on what the server holds for one connection: the payloads of its requests in
    /// flight (announced; a single request may be larger when it is the only one), and, separately, the answers
    /// waiting for a client that does not read. One-way messages beyond it make the server stop reading that
    /// connection until they are handled. Defaults to 4 MiB (4,194,304).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int MaxBufferedBytesPerConnection
    {
        get => _maxBufferedBytesPerConnection;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxBufferedBytesPerConnection = value;
        }
    }

    /// <summary>
    /// Gets or sets the largest frame accepted, in bytes on the wire (headers included). Announced in the hello: clients
    /// do not send longer ones (a longer request fails on the client before it is sent). Defaults to 1 MiB (1,048,576).
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
    /// Gets or sets the heartbeat interval announced to clients: a client pings after this much silence even if its own
    /// <see cref="MessageClientOptions.HeartbeatInterval"/> is longer. Set it below the hosting server's idle timeout so
    /// that clients which only receive pushes are not closed as idle. Defaults to <see langword="null"/>: clients keep
    /// their own interval.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? ClientPingInterval
    {
        get => _clientPingInterval;
        set => _clientPingInterval = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>Gets or sets how long a client may take to send its hello before the connection is closed. Defaults to 10 seconds.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _handshakeTimeout = value;
        }
    }

    /// <summary>
    /// Gets or sets whether an error reply carries the handler exception's type and message. Defaults to
    /// <see langword="false"/>: clients get a generic message, because exception text can leak server internals.
    /// </summary>
    public bool IncludeExceptionDetails { get; set; }

    /// <summary>Gets or sets the serializer of typed routes and calls. Defaults to <see langword="null"/>: bytes only.</summary>
    public IMessageSerializer? Serializer { get; set; }

    /// <summary>
    /// Gets or sets a hook that runs once per connection after the hello and before any of its requests is handled
    /// (authenticate with <see cref="MessageSession.RemoteMetadata"/>, attach state to <see cref="MessageSession.Connection"/>).
    /// If it throws, the connection is closed. Defaults to <see langword="null"/>.
    /// </summary>
    public Func<MessageSession, CancellationToken, ValueTask>? SessionStarted { get; set; }

    /// <summary>
    /// Gets or sets a hook that runs once per connection after it ended and every handler of it finished (only for
    /// sessions whose start hook ran). Defaults to <see langword="null"/>.
    /// </summary>
    public Func<MessageSession, ValueTask>? SessionEnded { get; set; }

    /// <summary>
    /// Gets or sets the clock of request deadlines. Defaults to <see cref="TimeProvider.System"/>. The message server
    /// owns no transport, so it cannot take the hosting server's clock: pass the same one for one clock.
    /// </summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Gets or sets the factory of the <c>TcpToolkit</c> meter that records the request/response instruments.
    /// Defaults to <see langword="null"/>: one process-wide meter of that name. A <see cref="MessageServer"/> owns no
    /// transport, so pass the hosting server's factory for one meter.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Gets or sets the logger factory (events 300-399). Defaults to <see cref="NullLoggerFactory.Instance"/> (no
    /// logging). A <see cref="MessageServer"/> owns no transport, so give it the hosting server's factory for one log.
    /// </summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets or sets the protocol version the server speaks (a test seam for the mismatch; not public API).</summary>
    internal ushort ProtocolVersion { get; set; } = Wire.Version;
}
