using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections.Internal;

namespace TcpToolkit.Sessions;

/// <summary>Options of a <see cref="SessionRegistry{TState}"/>: the send-queue bound and policy, the backplane, clock and logs.</summary>
/// <remarks>
/// What one member that never reads can cost the server: its send queue (<see cref="SendQueueLimit"/> messages and
/// at most <see cref="SendQueueByteLimit"/> bytes, shared with the other queues that hold the same broadcast) plus the
/// transport's write buffer (<c>TcpConnectionOptions.MaxWriteBufferSize</c>, 64 KiB by default) and the kernel's
/// socket buffer. The transport's <c>WriteTimeout</c> (60 s by default) closes it in the end.
/// </remarks>
public sealed class SessionRegistryOptions
{
    private int _sendQueueLimit = 1024;
    private long? _sendQueueByteLimit = 1024 * 1024;
    private SendQueueFullPolicy _sendQueueFullPolicy = SendQueueFullPolicy.DropOldest;
    private int _backplaneQueueLimit = 4096;
    private TimeSpan _backplaneRetryDelay = TimeSpan.FromSeconds(1);
    private TimeSpan _drainTimeout = TimeSpan.FromSeconds(5);
    private TimeProvider _timeProvider = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    /// <summary>
    /// Gets or sets how many messages a member's send queue holds before <see cref="SendQueueFullPolicy"/> applies.
    /// Defaults to 1024. There is no unlimited setting: an unbounded queue is what lets one slow member exhaust memory.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int SendQueueLimit
    {
        get => _sendQueueLimit;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _sendQueueLimit = value;
        }
    }

    /// <summary>
    /// Gets or sets how many bytes of messages a member's send queue holds before <see cref="SendQueueFullPolicy"/>
    /// applies (a message is always taken into an empty queue, whatever its size). Defaults to 1 MiB;
    /// <see langword="null"/> bounds the queue by <see cref="SendQueueLimit"/> alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public long? SendQueueByteLimit
    {
        get => _sendQueueByteLimit;
        set => _sendQueueByteLimit = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>Gets or sets what a full send queue does with a new message. Defaults to <see cref="SendQueueFullPolicy.DropOldest"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined policy.</exception>
    public SendQueueFullPolicy SendQueueFullPolicy
    {
        get => _sendQueueFullPolicy;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Not a defined SendQueueFullPolicy.");
            }

            _sendQueueFullPolicy = value;
        }
    }

    /// <summary>
    /// Gets or sets the backplane that carries broadcasts to the other server instances. Defaults to
    /// <see langword="null"/>: broadcasts reach this instance's members only.
    /// </summary>
    public ISessionBackplane? Backplane { get; set; }

    /// <summary>
    /// Gets or sets how many messages wait for the backplane (while it is slow or unreachable) before the oldest are
    /// dropped (counted in <see cref="SessionRegistry{TState}.BackplaneDroppedMessageCount"/> and logged). Defaults to 4096.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int BackplaneQueueLimit
    {
        get => _backplaneQueueLimit;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _backplaneQueueLimit = value;
        }
    }

    /// <summary>Gets or sets how long to wait before publishing again after the backplane failed. Defaults to 1 second.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan BackplaneRetryDelay
    {
        get => _backplaneRetryDelay;
        set => _backplaneRetryDelay = PositiveFinite(value);
    }

    /// <summary>
    /// Gets or sets how long a closing session may take to write the messages still queued for it before they are
    /// dropped and the connection is handed back to the server to close. Defaults to 5 seconds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan DrainTimeout
    {
        get => _drainTimeout;
        set => _drainTimeout = PositiveFinite(value);
    }

    /// <summary>Gets or sets the clock for the drain timeout and the backplane retry. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets or sets the logger factory. Defaults to <see cref="NullLoggerFactory.Instance"/> (no logging).</summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    private static TimeSpan PositiveFinite(TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive and finite.");
        }

        return value;
    }
}
