using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Internal;

namespace TcpToolkit;

/// <summary>Settings for a <see cref="TcpClient"/>. Limits use <see langword="null"/> for unlimited and nothing else; every setter validates.</summary>
public sealed class TcpClientOptions
{
    private TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);
    private long? _maxReadBufferSize = 1024 * 1024;
    private long? _maxWriteBufferSize = 64 * 1024;
    private TimeSpan _closeTimeout = TimeSpan.FromSeconds(5);
    private TimeSpan? _keepAliveTime;
    private TimeSpan? _keepAliveInterval;
    private int? _keepAliveRetryCount;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Gets or sets how long one connect may take, DNS lookup included, before it fails with
    /// <see cref="System.Net.Sockets.SocketError.TimedOut"/>. Defaults to 10 seconds;
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits as long as the OS does.
    /// </summary>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        set => _connectTimeout = OptionGuards.Positive(value, nameof(value));
    }

    /// <summary>Gets or sets whether Nagle's algorithm is disabled. Defaults to <see langword="true"/>.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>
    /// Gets or sets how many received bytes are buffered before the client stops reading from the socket (it resumes at
    /// half). Defaults to 1 MiB. <see langword="null"/> is unlimited.
    /// </summary>
    public long? MaxReadBufferSize
    {
        get => _maxReadBufferSize;
        set => _maxReadBufferSize = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many bytes may wait to be sent before a flush waits for the peer (it resumes at half).
    /// Defaults to 64 KiB. <see langword="null"/> is unlimited.
    /// </summary>
    public long? MaxWriteBufferSize
    {
        get => _maxWriteBufferSize;
        set => _maxWriteBufferSize = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>Gets or sets how long a graceful close waits for pending output to drain before aborting. Defaults to 5 seconds.</summary>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        set => _closeTimeout = OptionGuards.Positive(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how long a connection may be idle before TCP keepalive starts probing the peer
    /// (<see cref="System.Net.Sockets.SocketOptionName.TcpKeepAliveTime"/>, whole seconds, rounded up). Setting it turns
    /// keepalive on for TCP sockets. Defaults to <see langword="null"/>: keepalive stays off (the OS default) and a
    /// half-open peer is only noticed when a send fails; an application heartbeat detects it regardless.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? KeepAliveTime
    {
        get => _keepAliveTime;
        set => _keepAliveTime = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets the time between keepalive probes (<see cref="System.Net.Sockets.SocketOptionName.TcpKeepAliveInterval"/>,
    /// whole seconds, rounded up). Used only when <see cref="KeepAliveTime"/> is set. Defaults to <see langword="null"/>: the OS
    /// default (75 seconds on Linux).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public TimeSpan? KeepAliveInterval
    {
        get => _keepAliveInterval;
        set => _keepAliveInterval = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many unanswered keepalive probes close the connection
    /// (<see cref="System.Net.Sockets.SocketOptionName.TcpKeepAliveRetryCount"/>). Used only when <see cref="KeepAliveTime"/> is set.
    /// Defaults to <see langword="null"/>: the OS default (9 on Linux).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int? KeepAliveRetryCount
    {
        get => _keepAliveRetryCount;
        set => _keepAliveRetryCount = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>Gets or sets the logger factory. Defaults to <see cref="NullLoggerFactory.Instance"/> (no logging).</summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets or sets the clock for timeouts. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }
}
