using TcpToolkit.Connections;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Transport;

/// <content>The server heartbeat's checks: idle, first byte, minimum data rate, write timeout.</content>
public sealed partial class TcpConnection
{
    private TimeoutTracker _timeouts;

    /// <summary>
    /// Called by the server's one heartbeat, never concurrently with itself. Reads the transport's progress counters,
    /// so the data path pays no timestamp per read or write, and closes the connection with the reason of the first
    /// rule it breaks.
    /// </summary>
    internal void OnHeartbeat(long now)
    {
        if (_settings.Timeouts is null || CloseReason != CloseReason.None)
        {
            return;
        }

        var progress = new TransportProgress(
            _pump.BytesReceived,
            _pump.BytesSent,
            _pump.ReceivePaused,
            _pump.Input.AwaitingRestOfMessage,
            _pump.SendPending,
            _pump.SendsCompleted,
            Draining: Volatile.Read(ref _closeTask) is not null);
        var verdict = _timeouts.Check(progress, now);
        switch (verdict.Reason)
        {
            case CloseReason.None:
                return;
            case CloseReason.FirstByteTimeout:
                SocketLog.TimedOut(_settings.Logger, Id, verdict.Reason, verdict.Limit);
                Abort(verdict.Reason, $"The peer sent nothing within {verdict.Limit} of connecting.");
                return;
            case CloseReason.IdleTimeout:
                SocketLog.TimedOut(_settings.Logger, Id, verdict.Reason, verdict.Limit);
                Abort(verdict.Reason, $"Nothing was sent or received for {verdict.Limit}.");
                return;
            case CloseReason.MinDataRate:
                var minimum = _settings.Timeouts.MinReceiveRate!.BytesPerSecond;
                SocketLog.DataRateTooLow(_settings.Logger, Id, verdict.BytesPerSecond, minimum);
                Abort(verdict.Reason, $"The peer sent at {verdict.BytesPerSecond:F1} B/s, below the minimum of {minimum} B/s.");
                return;
            default:
                SocketLog.TimedOut(_settings.Logger, Id, verdict.Reason, verdict.Limit);
                Abort(verdict.Reason, $"The peer took no bytes for {verdict.Limit}.");
                return;
        }
    }
}
