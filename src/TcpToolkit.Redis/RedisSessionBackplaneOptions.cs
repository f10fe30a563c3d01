using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace TcpToolkit.Redis;

/// <summary>Options of a <see cref="RedisSessionBackplane"/>.</summary>
public sealed class RedisSessionBackplaneOptions
{
    private string _configuration = "localhost:6379";
    private string _channel = "tcptoolkit:sessions";
    private TimeSpan _healthCheckInterval = TimeSpan.FromSeconds(1);
    private TimeSpan _resubscribeWait = TimeSpan.FromSeconds(5);
    private TimeProvider _timeProvider = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    /// <summary>
    /// Gets or sets the StackExchange.Redis configuration string (<c>host:port</c>, several endpoints, options such as
    /// <c>password=...</c>). Defaults to <c>localhost:6379</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The value is empty.</exception>
    public string Configuration
    {
        get => _configuration;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _configuration = value;
        }
    }

    /// <summary>
    /// Gets or sets the pub/sub channel. Every server instance of one application uses the same channel; two
    /// applications sharing a Redis use two. Defaults to <c>tcptoolkit:sessions</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The value is empty.</exception>
    public string Channel
    {
        get => _channel;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _channel = value;
        }
    }

    /// <summary>
    /// Gets or sets how often the backplane checks that its subscription is live: it publishes a probe on its channel
    /// and waits this long to receive it back. A missed probe marks the backplane unavailable (logged, and shown by
    /// <see cref="RedisSessionBackplane.IsConnected"/>); the next probe that comes back marks it available again.
    /// Defaults to 1 second.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan HealthCheckInterval
    {
        get => _healthCheckInterval;
        set
        {
            if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive and finite.");
            }

            _healthCheckInterval = value;
        }
    }

    /// <summary>
    /// Gets or sets how long, after Redis came back from an outage, publishing waits for the instances that listened
    /// before it to resubscribe: until as many subscribers are back (or this time has passed), a publish that reaches
    /// fewer fails and is retried by the registry. Defaults to 5 seconds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan ResubscribeWait
    {
        get => _resubscribeWait;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _resubscribeWait = value;
        }
    }

    /// <summary>
    /// Gets or sets a callback that adjusts the StackExchange.Redis options after the backplane set its own:
    /// <see cref="ConfigurationOptions.AbortOnConnectFail"/> off (start while Redis is down, and keep reconnecting),
    /// <see cref="BacklogPolicy.FailFast"/> (a publish while disconnected fails at once, and the registry retries it),
    /// a 2-second connect timeout and a reconnect attempt every half second (a backplane should come back as soon as
    /// Redis does). Defaults to <see langword="null"/>.
    /// </summary>
    public Action<ConfigurationOptions>? ConfigureRedis { get; set; }

    /// <summary>Gets or sets the clock for the health checks. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Gets or sets the logger factory for the backplane's own events (StackExchange.Redis's logs are configured through
    /// <see cref="ConfigureRedis"/>). Defaults to <see cref="NullLoggerFactory.Instance"/> (no logging).
    /// </summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }
}
