using TcpToolkit.Connections.Internal;


namespace TcpToolkit.Transport;

/// <summary>Settings for a <see cref="TcpClient"/>. Limits use <see langword="null"/> for unlimited and nothing else; every setter validates.</summary>
public sealed class TcpClientOptions : TcpConnectionOptions
{
    private TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);
    private TimeSpan? _keepAliveTime;
    private TimeSpan? _keepAliveInterval;
    private int? _keepAliveRetryCount;

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
}
