using TcpToolkit.Connections;

namespace TcpToolkit.Transport.Internal;

/// <summary>What the heartbeat reads from a connection's transport: counters the data path keeps anyway.</summary>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="BytesSent">Bytes sent so far.</param>
/// <param name="ReceivePaused">Whether receiving is paused by backpressure (the handler has not read its input).</param>
/// <param name="AwaitingRestOfMessage">Whether the handler holds part of a message and waits for the rest.</param>
/// <param name="SendPending">Whether a send waits for the peer to take bytes.</param>
/// <param name="SendsCompleted">Sends completed so far.</param>
/// <param name="Draining">Whether the connection is in a graceful close, bounded by the close timeout.</param>
internal readonly record struct TransportProgress(
    long BytesReceived,
    long BytesSent,
    bool ReceivePaused,
    bool AwaitingRestOfMessage,
    bool SendPending,
    long SendsCompleted,
    bool Draining);

/// <summary>The rule a connection broke, if any.</summary>
/// <param name="Reason">The close reason; <see cref="CloseReason.None"/> when every rule holds.</param>
/// <param name="Limit">The timeout that ran out (idle, first byte, write).</param>
/// <param name="BytesPerSecond">The measured rate, for <see cref="CloseReason.MinDataRate"/>.</param>
internal readonly record struct TimeoutVerdict(CloseReason Reason, TimeSpan Limit, double BytesPerSecond)
{
    public static TimeoutVerdict Ok => default;

    public bool Broken => Reason != CloseReason.None;
}

/// <summary>
/// The server heartbeat's rules for one connection (idle, first byte, minimum receive rate, write timeout), kept apart
/// from the connection so they can be tested with any sequence of progress and time. A mutable struct held in a field
/// of the connection (no allocation per connection), called by the heartbeat only, never concurrently with itself.
/// The data path pays no timestamp: the tracker notices progress by comparing counters between ticks.
/// </summary>
internal struct TimeoutTracker
{
    private readonly ConnectionTimeouts? _timeouts;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private long _lastProgressTimestamp;
    private long _lastSeenBytesReceived;
    private long _lastSeenBytesSent;
    private long _rateWindowStartTimestamp;
    private long _rateWindowStartBytes;
    private bool _rateWindowOpen;
    private long _lastSeenSendsCompleted;
    private long _sendStallStartTimestamp;
    private bool _sendStalled;

    public TimeoutTracker(ConnectionTimeouts? timeouts, TimeProvider time, long startTimestamp)
    {
        _timeouts = timeouts;
        _time = time;
        _startTimestamp = startTimestamp;
        _lastProgressTimestamp = startTimestamp;
    }

    /// <summary>Checks the rules in order (first byte, idle, receive rate, write) and returns the first one broken.</summary>
    public TimeoutVerdict Check(in TransportProgress progress, long now)
    {
        if (_timeouts is not { } timeouts)
        {
            return TimeoutVerdict.Ok;
        }

        if (progress.BytesReceived != _lastSeenBytesReceived || progress.BytesSent != _lastSeenBytesSent)
        {
            // Bytes in either direction: a half-closed peer that downloads is not idle.
            _lastSeenBytesReceived = progress.BytesReceived;
            _lastSeenBytesSent = progress.BytesSent;
            _lastProgressTimestamp = now;
        }

        if (progress.BytesReceived == 0 && timeouts.FirstByte is { } firstByte && _time.GetElapsedTime(_startTimestamp, now) >= firstByte)
        {
            return new TimeoutVerdict(CloseReason.FirstByteTimeout, firstByte, 0);
        }

        // A connection draining in CloseAsync is bounded by the close timeout; the idle rule never cuts it. Nor does
        // it cut a connection whose handler has not read what arrived (backpressure is not idleness).
        if (timeouts.Idle is { } idle && !progress.ReceivePaused && !progress.Draining
            && _time.GetElapsedTime(_lastProgressTimestamp, now) >= idle)
        {
            return new TimeoutVerdict(CloseReason.IdleTimeout, idle, 0);
        }

        if (timeouts.MinReceiveRate is { } rate && CheckDataRate(rate, progress, now) is { Broken: true } slow)
        {
            return slow;
        }

        return timeouts.Write is { } write ? CheckWriteTimeout(write, progress, now) : TimeoutVerdict.Ok;
    }

    private TimeoutVerdict CheckDataRate(MinDataRate rate, in TransportProgress progress, long now)
    {
        // The rate counts only while the handler holds part of a message and the transport is not paused by
        // backpressure: idle connections are the idle timeout's business, a slow handler is not the peer's fault.
        if (!progress.AwaitingRestOfMessage || progress.ReceivePaused)
        {
            _rateWindowOpen = false;
            return TimeoutVerdict.Ok;
        }

        if (!_rateWindowOpen)
        {
            _rateWindowOpen = true;
            _rateWindowStartTimestamp = now;
            _rateWindowStartBytes = progress.BytesReceived;
            return TimeoutVerdict.Ok;
        }

        var elapsed = _time.GetElapsedTime(_rateWindowStartTimestamp, now);
        if (elapsed < rate.GracePeriod)
        {
            return TimeoutVerdict.Ok;
        }

        var bytesPerSecond = (progress.BytesReceived - _rateWindowStartBytes) / elapsed.TotalSeconds;
        return bytesPerSecond >= rate.BytesPerSecond
            ? TimeoutVerdict.Ok
            : new TimeoutVerdict(CloseReason.MinDataRate, elapsed, bytesPerSecond);
    }

    private TimeoutVerdict CheckWriteTimeout(TimeSpan write, in TransportProgress progress, long now)
    {
        if (!progress.SendPending || progress.SendsCompleted != _lastSeenSendsCompleted)
        {
            _lastSeenSendsCompleted = progress.SendsCompleted;
            _sendStalled = false;
            return TimeoutVerdict.Ok;
        }

        if (!_sendStalled)
        {
            _sendStalled = true;
            _sendStallStartTimestamp = now;
            return TimeoutVerdict.Ok;
        }

        return _time.GetElapsedTime(_sendStallStartTimestamp, now) >= write
            ? new TimeoutVerdict(CloseReason.WriteTimeout, write, 0)
            : TimeoutVerdict.Ok;
    }
}
