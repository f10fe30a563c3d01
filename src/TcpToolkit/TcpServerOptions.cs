using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Internal;

namespace TcpToolkit;

/// <summary>
/// Settings for a <see cref="TcpServer"/>. Limits use <see langword="null"/> for unlimited and nothing else; every
/// setter validates. Unlimited buffers let a client that does not read (or floods) grow the server's memory: keep
/// limits on for untrusted clients.
/// </summary>
public sealed class TcpServerOptions
{
    private int _backlog = 512;
    private int? _maxConnections;
    private long? _maxReadBufferSize = 1024 * 1024;
    private long? _maxWriteBufferSize = 64 * 1024;
    private TimeSpan _shutdownTimeout = TimeSpan.FromSeconds(5);
    private TimeSpan _closeTimeout = TimeSpan.FromSeconds(5);
    private TimeSpan? _idleTimeout;
    private TimeSpan? _firstByteTimeout;
    private TimeSpan? _writeTimeout = TimeSpan.FromSeconds(60);
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Gets the endpoints to listen on: <see cref="IPEndPoint"/> (IPv4 or IPv6; port 0 picks a free port;
    /// <see cref="IPAddress.IPv6Any"/> listens dual-mode, IPv4 and IPv6) or
    /// <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>. At least one is required.
    /// </summary>
    public IList<EndPoint> EndPoints { get; } = [];

    /// <summary>Gets or sets the listen backlog (pending connections the OS queues). Defaults to 512, as Kestrel.</summary>
    public int Backlog
    {
        get => _backlog;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _backlog = value;
        }
    }

    /// <summary>Gets or sets whether Nagle's algorithm is disabled on accepted TCP sockets. Defaults to <see langword="true"/>.</summary>
    public bool NoDelay { get; set; } = true;

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
    /// Gets or sets how many received bytes a connection buffers before it stops reading from the socket until the
    /// handler catches up (it resumes at half). Defaults to 1 MiB, as Kestrel. <see langword="null"/> is unlimited,
    /// which lets a fast sender grow memory without bound.
    /// </summary>
    public long? MaxReadBufferSize
    {
        get => _maxReadBufferSize;
        set => _maxReadBufferSize = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many bytes may wait to be sent before a flush waits for the peer to read (it resumes at
    /// half). Defaults to 64 KiB, as Kestrel. <see langword="null"/> is unlimited, which lets a peer that never
    /// reads grow memory without bound.
    /// </summary>
    public long? MaxWriteBufferSize
    {
        get => _maxWriteBufferSize;
        set => _maxWriteBufferSize = OptionGuards.PositiveOrNull(value, nameof(value));
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
    /// Gets or sets how long a graceful close waits for pending output to drain before it aborts the connection.
    /// Defaults to 5 seconds.
    /// </summary>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        set => _closeTimeout = OptionGuards.Positive(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how long a connection may receive nothing before it is closed with
    /// <see cref="CloseReason.IdleTimeout"/>. Defaults to <see langword="null"/> (no idle timeout), because many
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
    /// <see cref="MaxWriteBufferSize"/> it bounds what a slow consumer can cost. Defaults to 60 seconds;
    /// <see langword="null"/> waits for ever.
    /// </summary>
    public TimeSpan? WriteTimeout
    {
        get => _writeTimeout;
        set => _writeTimeout = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>Gets or sets the logger factory. Defaults to <see cref="NullLoggerFactory.Instance"/> (no logging).</summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets or sets the clock for every timeout. Defaults to <see cref="TimeProvider.System"/>; tests use a fake.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }
}
