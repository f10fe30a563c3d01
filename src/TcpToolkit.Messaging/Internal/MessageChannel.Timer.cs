namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// One timer per connection, re-armed to the next thing due: the hello's timeout, the earliest deadline of a request
/// sent or received, the heartbeat. No timer per request (a request with a deadline earlier than the armed time moves
/// the timer; with one timeout for all requests, later requests never do).
/// </summary>
internal sealed partial class MessageChannel
{
    private readonly Lock _timerLock = new();
    private ulong _pingCounter;

    private void OnTimer()
    {
        lock (_timerLock)
        {
            // Anything registered from now on re-arms below this; the tick only lowers it at the end.
            Volatile.Write(ref _armedAt, long.MaxValue);
        }

        var now = _time.GetTimestamp();
        bool handshakeDone;
        lock (_lock)
        {
            handshakeDone = _handshakeDone;
            if (_stopReading && _lostReason is not null)
            {
                return;
            }
        }

        if (!handshakeDone)
        {
            var due = _startTimestamp + Ticks(_settings.HandshakeTimeout);
            if (now >= due)
            {
                MessagingLog.HandshakeTimedOut(_logger, Id, _settings.HandshakeTimeout);
                Abort(new ConnectionLostException($"The hello exchange did not complete within {_settings.HandshakeTimeout}."), "Hello timed out.");
                return;
            }

            Rearm(due);
            return;
        }

        var next = Math.Min(SweepOutgoing(now), SweepIncoming(now));
        if (_settings.IsClient && _pingInterval is { } interval)
        {
            var pingSent = Volatile.Read(ref _pingSent);
            if (pingSent != 0 && _time.GetElapsedTime(pingSent, now) >= _settings.HeartbeatTimeout)
            {
                // A half-open or hung server: nothing came back. Drop the connection; the read loop then ends.
                MessagingLog.HeartbeatTimedOut(_logger, Id, _settings.HeartbeatTimeout);
                Abort(new ConnectionLostException($"The server sent nothing within {_settings.HeartbeatTimeout} of a ping."), "Heartbeat timed out.");
                return;
            }

            if (pingSent == 0 && _time.GetElapsedTime(Volatile.Read(ref _lastReceived), now) >= interval)
            {
                // Recorded before the write, so the next tick measures from now even if the write is slow.
                Volatile.Write(ref _pingSent, now == 0 ? 1 : now);
                WriteSimpleFrame(FrameKind.Ping, ++_pingCounter, flushNow: true);
            }

            next = Math.Min(next, NextHeartbeatDue(now));
        }

        Rearm(next);
    }

    private long NextHeartbeatDue(long now)
    {
        if (!_settings.IsClient || _pingInterval is not { } interval)
        {
            return long.MaxValue;
        }

        var pingSent = Volatile.Read(ref _pingSent);
        return pingSent != 0
            ? pingSent + Ticks(_settings.HeartbeatTimeout)
            : Math.Max(now + 1, Volatile.Read(ref _lastReceived) + Ticks(interval));
    }

    /// <summary>Arms the timer for <paramref name="due"/> (a timestamp) unless it is armed earlier already.</summary>
    private void Rearm(long due)
    {
        if (due == long.MaxValue || _timer is null)
        {
            return;
        }

        lock (_timerLock)
        {
            if (due >= _armedAt)
            {
                return;
            }

            _armedAt = due;
            var delay = _time.GetElapsedTime(_time.GetTimestamp(), due);
            try
            {
                _timer.Change(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The channel ended meanwhile.
            }
        }
    }
}
