using TcpToolkit.Connections;
using TcpToolkit.Transport.Internal;


namespace TcpToolkit.Transport;

/// <content>The server heartbeat's checks: idle, first byte, minimum data rate, write timeout.</content>
public sealed partial class TcpConnection
{
    private readonly long _acceptedTimestamp;
    private long _lastProgressTimestamp;
    private long _lastSeenBytesReceived;
    private long _lastSeenBytesSent;
    private long _rateWindowStartTimestamp;
    private long _rateWindowStartBytes;
    private bool _rateWindowOpen;
    private long _lastSeenSendsCompleted;
    private long _sendStallStartTimestamp;
    private bool _sendStalled;

    /// <summary>
    /// Called by the server's one heartbeat, never concurrently with itself. Reads the transport's progress counters,
    /// so the data path pays no timestamp per read or write, and closes the connection with the reason of the first
    /// rule it breaks.
    /// </summary>
    internal void OnHeartbeat(long now)
    {
        var timeouts = _settings.Timeouts;
        if (timeouts is null || CloseReason != CloseReason.None)
        {
            return;
        }

        var time = _settings.TimeProvider;
        var received = _pump.BytesReceived;
        var sent = _pump.BytesSent;
        if (received != _lastSeenBytesReceived || sent != _lastSeenBytesSent)
        {
            // Bytes in either direction: a half-closed peer that downloads is not idle.
            _lastSeenBytesReceived = received;
            _lastSeenBytesSent = sent;
            _lastProgressTimestamp = now;
        }

        if (received == 0 && timeouts.FirstByte is { } firstByte && time.GetElapsedTime(_acceptedTimestamp, now) >= firstByte)
        {
            SocketLog.TimedOut(_settings.Logger, Id, CloseReason.FirstByteTimeout, firstByte);
            Abort(CloseReason.FirstByteTimeout, $"The peer sent nothing within {firstByte} of connecting.");
            return;
        }

        // A connection draining in CloseAsync is bounded by the close timeout; the idle rule never cuts it.
        if (timeouts.Idle is { } idle && time.GetElapsedTime(_lastProgressTimestamp, now) >= idle && !_pump.ReceivePaused
            && Volatile.Read(ref _closeTask) is null)
        {
            SocketLog.TimedOut(_settings.Logger, Id, CloseReason.IdleTimeout, idle);
            Abort(CloseReason.IdleTimeout, $"Nothing was sent or received for {idle}.");
            return;
        }

        if (timeouts.MinReceiveRate is { } rate && CheckDataRate(rate, now, received))
        {
            return;
        }

        if (timeouts.Write is { } write)
        {
            CheckWriteTimeout(write, now);
        }
    }

    private bool CheckDataRate(MinDataRate rate, long now, long received)
    {
        // The rate counts only while the handler holds part of a message and the transport is not paused by
        // backpressure: idle connections are the idle timeout's business, a slow handler is not the peer's fault.
        if (!_input.AwaitingRestOfMessage || _pump.ReceivePaused)
        {
            _rateWindowOpen = false;
            return false;
        }

        if (!_rateWindowOpen)
        {
            _rateWindowOpen = true;
            _rateWindowStartTimestamp = now;
            _rateWindowStartBytes = received;
            return false;
        }

        var elapsed = _settings.TimeProvider.GetElapsedTime(_rateWindowStartTimestamp, now);
        if (elapsed < rate.GracePeriod)
        {
            return false;
        }

        var bytesPerSecond = (received - _rateWindowStartBytes) / elapsed.TotalSeconds;
        if (bytesPerSecond >= rate.BytesPerSecond)
        {
            return false;
        }

        SocketLog.DataRateTooLow(_settings.Logger, Id, bytesPerSecond, rate.BytesPerSecond);
        Abort(CloseReason.MinDataRate, $"The peer sent at {bytesPerSecond:F1} B/s, below the minimum of {rate.BytesPerSecond} B/s.");
        return true;
    }

    private void CheckWriteTimeout(TimeSpan write, long now)
    {
        var completed = _pump.SendsCompleted;
        if (!_pump.SendPending || completed != _lastSeenSendsCompleted)
        {
            _lastSeenSendsCompleted = completed;
            _sendStalled = false;
            return;
        }

        if (!_sendStalled)
        {
            _sendStalled = true;
            _sendStallStartTimestamp = now;
            return;
        }

        if (_settings.TimeProvider.GetElapsedTime(_sendStallStartTimestamp, now) >= write)
        {
            SocketLog.TimedOut(_settings.Logger, Id, CloseReason.WriteTimeout, write);
            Abort(CloseReason.WriteTimeout, $"The peer took no bytes for {write}.");
        }
    }
}
