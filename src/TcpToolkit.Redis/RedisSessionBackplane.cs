using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using TcpToolkit.Redis.Internal;
using TcpToolkit.Sessions;

namespace TcpToolkit.Redis;

/// <summary>
/// A <see cref="ISessionBackplane"/> on Redis pub/sub (StackExchange.Redis): every server instance publishes its
/// broadcasts on one channel and receives the others'. Set it as <see cref="SessionRegistryOptions.Backplane"/>.
/// </summary>
/// <remarks>
/// <para>
/// It starts even when Redis is down and reconnects on its own (StackExchange.Redis reconnects and resubscribes). While
/// Redis is unreachable a publish fails at once, the registry delivers locally and retries; <see cref="IsConnected"/>
/// is <see langword="false"/>, <see cref="OutageCount"/> counts the outages, and the log says when each began and ended.
/// </para>
/// <para>
/// Whether the subscription is live is checked, not assumed: every <see cref="RedisSessionBackplaneOptions.HealthCheckInterval"/>
/// the backplane publishes a probe on its channel and waits for it to come back through its own subscription.
/// Messages are delivered in the order Redis sends them, which is publish order for each publisher (one connection).
/// </para>
/// <para>
/// After an outage the instances come back one by one; a message published in that moment would miss the instances
/// not yet resubscribed. So, for up to <see cref="RedisSessionBackplaneOptions.ResubscribeWait"/>, a publish that
/// reaches fewer subscribers than before the outage fails and the registry retries it (the instances that got it
/// already drop the duplicate): the broadcasts queued during a short outage reach every instance once.
/// </para>
/// </remarks>
public sealed class RedisSessionBackplane : ISessionBackplane, IAsyncDisposable
{
    private long _failureReports;
    private const byte DataMessage = 0;
    private const byte ProbeMessage = 1;
    private const int ProbeLength = 1 + 16 + 8;

    private readonly ConnectionMultiplexer _redis;
    private readonly ISubscriber _subscriber;
    private readonly RedisChannel _channel;
    private readonly RedisSessionBackplaneOptions _options;
    private readonly ILogger _logger;
    private readonly Guid _instance = Guid.NewGuid();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private ChannelMessageQueue? _queue;
    private Action<ReadOnlyMemory<byte>>? _receive;
    private TaskCompletionSource<long>? _probeEcho;
    private Task _healthLoop = Task.CompletedTask;
    private long _outages;
    private long _outageStarted;
    private volatile bool _connected;
    private bool _stateReported;
    private long _subscribers;
    private long _subscribersBeforeOutage;
    private bool _recovering;
    private long _recoveryStarted;
    private int _disposed;

    private RedisSessionBackplane(ConnectionMultiplexer redis, RedisSessionBackplaneOptions options)
    {
        _redis = redis;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("TcpToolkit.Redis.RedisSessionBackplane");
        _subscriber = redis.GetSubscriber();
        _channel = RedisChannel.Literal(options.Channel);
        _outageStarted = options.TimeProvider.GetTimestamp();
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
    }

    /// <summary>
    /// Gets whether the backplane works now: connected to Redis, and its last probe came back through its own
    /// subscription within the health-check interval.
    /// </summary>
    public bool IsConnected => _connected;

    /// <summary>Gets how many times the backplane became unavailable after it had been available (outages so far).</summary>
    public long OutageCount => Volatile.Read(ref _outages);

    /// <summary>Gets the pub/sub channel.</summary>
    public string Channel => _options.Channel;

    /// <summary>
    /// Creates the backplane and connects to Redis. It returns once the first connection attempt is over, whether it
    /// succeeded or not: with Redis down, the backplane keeps trying in the background (see <see cref="IsConnected"/>).
    /// </summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults (Redis on <c>localhost:6379</c>).</param>
    /// <param name="cancellationToken">Cancels the first connection attempt.</param>
    /// <returns>The backplane; dispose it after the registry that uses it.</returns>
    public static async Task<RedisSessionBackplane> ConnectAsync(RedisSessionBackplaneOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RedisSessionBackplaneOptions();
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = 2000;
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        options.ConfigureRedis?.Invoke(configuration);
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        var backplane = new RedisSessionBackplane(redis, options);
        await backplane.SubscribeAndProbeAsync(backplane._stop.Token).ConfigureAwait(false);
        backplane._healthLoop = backplane.HealthLoopAsync();
        return backplane;
    }

    /// <inheritdoc />
    public IDisposable Subscribe(Action<ReadOnlyMemory<byte>> receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        lock (_lock)
        {
            if (_receive is not null)
            {
                throw new InvalidOperationException("The backplane already has a subscriber: use one backplane per session registry.");
            }

            _receive = receive;
        }

        return new Subscription(this, receive);
    }

    /// <inheritdoc />
    public async ValueTask PublishAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var bytes = new byte[1 + message.Length];
        bytes[0] = DataMessage;
        message.Span.CopyTo(bytes.AsSpan(1));
        var receivers = await _subscriber.PublishAsync(_channel, bytes).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!CountReceivers(receivers))
        {
            // Redis is back but not every instance that listened before the outage has resubscribed: failing the publish
            // makes the registry retry it (receivers that got it drop the duplicate by its number).
            throw new RedisException($"Only {receivers} of the {Volatile.Read(ref _subscribersBeforeOutage)} subscribers from before the outage are back on channel {_options.Channel}.");
        }
    }

    /// <summary>Stops the health checks, unsubscribes and closes the connection to Redis.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _healthLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _redis.ConnectionFailed -= OnConnectionFailed;
        _redis.ConnectionRestored -= OnConnectionRestored;
        _connected = false;
        await _redis.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        await _redis.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task HealthLoopAsync()
    {
        var token = _stop.Token;
        try
        {
            while (true)
            {
                await Task.Delay(_options.HealthCheckInterval, _options.TimeProvider, token).ConfigureAwait(false);
                await SubscribeAndProbeAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    /// <summary>Subscribes if not yet subscribed, then publishes a probe and waits for it to come back.</summary>
    private async Task SubscribeAndProbeAsync(CancellationToken cancellationToken)
    {
        if (_queue is null)
        {
            try
            {
                var queue = await _subscriber.SubscribeAsync(_channel).WaitAsync(cancellationToken).ConfigureAwait(false);
                queue.OnMessage(OnMessage);
                _queue = queue;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                RedisLog.SubscribeFailed(_logger, _options.Channel, ex);
                SetConnected(false, "the subscription could not be made");
                return;
            }
        }

        var probe = new byte[ProbeLength];
        probe[0] = ProbeMessage;
        _instance.TryWriteBytes(probe.AsSpan(1, 16));
        var number = _options.TimeProvider.GetTimestamp();
        BinaryPrimitives.WriteInt64BigEndian(probe.AsSpan(17), number);
        var echo = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _probeEcho, echo);
        var failuresBefore = Volatile.Read(ref _failureReports);
        try
        {
            var receivers = await _subscriber.PublishAsync(_channel, probe).WaitAsync(cancellationToken).ConfigureAwait(false);
            CountReceivers(receivers);
            while (await echo.Task.WaitAsync(_options.HealthCheckInterval, _options.TimeProvider, cancellationToken).ConfigureAwait(false) != number)
            {
                // A late echo of an earlier probe: wait for this one.
                echo = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _probeEcho, echo);
            }

            // A probe whose echo came back before a failure was reported (Redis died while it was in flight) proves
            // nothing about now: it must not flip the state back to connected.
            if (Volatile.Read(ref _failureReports) == failuresBefore)
            {
                SetConnected(true, null);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            SetConnected(false, ex is TimeoutException ? "a probe did not come back through the subscription in time" : ex.Message);
        }
    }

    /// <summary>
    /// Follows how many subscribers a publish reaches (every instance, this one included). After an outage, returns
    /// <see langword="false"/> while fewer are back than before it, for at most <see cref="RedisSessionBackplaneOptions.ResubscribeWait"/>
    /// (an instance that went away for good must not hold publishing up for longer).
    /// </summary>
    private bool CountReceivers(long receivers)
    {
        lock (_lock)
        {
            if (_recovering)
            {
                var waited = _recoveryStarted != 0 && _options.TimeProvider.GetElapsedTime(_recoveryStarted) >= _options.ResubscribeWait;
                if (receivers < _subscribersBeforeOutage && !waited)
                {
                    return false;
                }

                _recovering = false;
            }

            _subscribers = receivers;
            return true;
        }
    }

    private void OnMessage(ChannelMessage message)
    {
        try
        {
            ReadOnlyMemory<byte> bytes = (ReadOnlyMemory<byte>)message.Message;
            if (bytes.IsEmpty)
            {
                return;
            }

            if (bytes.Span[0] == ProbeMessage)
            {
                if (bytes.Length == ProbeLength && new Guid(bytes.Span.Slice(1, 16)) == _instance)
                {
                    Volatile.Read(ref _probeEcho)?.TrySetResult(BinaryPrimitives.ReadInt64BigEndian(bytes.Span[17..]));
                }

                return;
            }

            if (bytes.Span[0] == DataMessage)
            {
                Volatile.Read(ref _receive)?.Invoke(bytes[1..]);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RedisLog.ReceiveFailed(_logger, _options.Channel, ex);
        }
    }

    private void SetConnected(bool connected, string? reason)
    {
        if (!connected)
        {
            Interlocked.Increment(ref _failureReports);
        }

        lock (_lock)
        {
            // The first state is always logged (a backplane that starts while Redis is down says so); after that, changes.
            if (_connected == connected && _stateReported)
            {
                return;
            }

            var wasConnected = _connected;
            _connected = connected;
            _stateReported = true;
            if (connected)
            {
                var outage = _options.TimeProvider.GetElapsedTime(_outageStarted);
                _recoveryStarted = _options.TimeProvider.GetTimestamp();
                RedisLog.Available(_logger, _options.Channel, outage);
            }
            else
            {
                _outageStarted = _options.TimeProvider.GetTimestamp();
                if (wasConnected)
                {
                    Interlocked.Increment(ref _outages);
                    if (!_recovering)
                    {
                        _subscribersBeforeOutage = _subscribers;
                        _recovering = true;
                    }

                    _recoveryStarted = 0;
                }

                RedisLog.Unavailable(_logger, _options.Channel, reason ?? "unknown");
            }
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        RedisLog.ConnectionFailed(_logger, e.ConnectionType, e.EndPoint, e.FailureType, e.Exception);
        SetConnected(false, "the connection to Redis failed (" + e.FailureType + ")");
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) =>
        RedisLog.ConnectionRestored(_logger, e.ConnectionType, e.EndPoint);

    private sealed class Subscription(RedisSessionBackplane owner, Action<ReadOnlyMemory<byte>> receive) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._lock)
            {
                if (ReferenceEquals(owner._receive, receive))
                {
                    owner._receive = null;
                }
            }
        }
    }
}
