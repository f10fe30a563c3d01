namespace TcpToolkit.Messaging;

/// <summary>Per-request settings for <see cref="MessageClient"/> and <see cref="MessageSession"/> requests.</summary>
public sealed class RequestOptions
{
    private TimeSpan? _timeout;

    /// <summary>
    /// Gets or sets how long the request may take in total. It travels with the request as its deadline: the peer's
    /// handler token fires when it passes. Defaults to <see langword="null"/>: the client's
    /// <see cref="MessageClientOptions.RequestTimeout"/> (no timeout for a session's own requests);
    /// <see cref="Timeout.InfiniteTimeSpan"/> is no timeout.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative (and not infinite).</exception>
    public TimeSpan? Timeout
    {
        get => _timeout;
        set
        {
            if (value is { } span && span <= TimeSpan.Zero && span != System.Threading.Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Must be positive, or Timeout.InfiniteTimeSpan.");
            }

            _timeout = value;
        }
    }

    /// <summary>
    /// Gets or sets metadata sent with the request (headers such as a W3C <c>traceparent</c>): UTF-8 keys of 1 to 255
    /// bytes and values up to 65,535 bytes, at most 64 KiB in all; the handler reads them from
    /// <see cref="RequestContext.Metadata"/>. Defaults to <see langword="null"/> (none).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; set; }
}
