using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TcpToolkit.Messaging;

/// <summary>Settings for a <see cref="MessageServer"/>. Every setter validates; read once, at construction.</summary>
public sealed class MessageServerOptions
{
    private int _maxConcurrentRequestsPerConnection = 1;
    private int _maxQueuedRequestsPerConnection = 128;
    private int _maxFrameLength = Envelope.DefaultMaxFrameLength;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    /// <summary>
    /// Gets or sets how many requests of one connection run their handler at the same time. Defaults to 1: requests
    /// are handled one after another in arrival order, so replies come back in order. Above 1, handlers run in parallel
    /// (up to this many) and replies come back as they finish, matched by request id.
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
    /// Gets or sets how many received requests of one connection may wait for a free handler. When the queue is full
    /// the server stops reading that connection (TCP backpressure) until a handler finishes; pings queued behind are
    /// answered late. Defaults to 128. Each queued request holds a pooled copy of its payload.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int MaxQueuedRequestsPerConnection
    {
        get => _maxQueuedRequestsPerConnection;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxQueuedRequestsPerConnection = value;
        }
    }

    /// <summary>
    /// Gets or sets the largest message accepted or sent, in bytes on the wire (the 9-byte header included). A longer
    /// incoming message is a protocol error that closes the connection; a longer reply becomes an error reply.
    /// Defaults to 1 MiB (1,048,576); it must match the clients' <see cref="MessageClientOptions.MaxFrameLength"/>.
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
    /// Gets or sets whether an error reply carries the handler exception's type and message. Defaults to
    /// <see langword="false"/>: clients get a generic message, because exception text can leak server internals.
    /// </summary>
    public bool IncludeExceptionDetails { get; set; }

    /// <summary>
    /// Gets or sets the logger factory (events 300-399). Defaults to <see cref="NullLoggerFactory.Instance"/> (no
    /// logging). It is the message server's only one: a <see cref="MessageServer"/> owns no transport (it serves the
    /// connections that whichever server runs <see cref="MessageServer.HandleConnectionAsync"/> hands it), so there
    /// is no transport options object on this side to take it from; give it the hosting server's factory for one log.
    /// The message server has no clock.
    /// </summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }
}
