namespace TcpToolkit.Diagnostics.Internal;

/// <summary>
/// One connection's share of the instruments, created by the transport for each <c>TcpConnection</c> and reachable
/// from the layers above through <c>Connection.Telemetry</c>: the transport's byte and backpressure counters, the
/// frame counters of <c>FrameReader</c>/<c>FrameWriter</c>, and the endpoint attributes that the connection, TLS and
/// PROXY instruments carry.
/// </summary>
/// <remarks>
/// <para>
/// Per-message work is plain writes to fields of this object, each by the one loop (or reader, or writer) that owns
/// it: no lock, no interlocked operation, no allocation. The observable instruments' callbacks sum the open
/// connections (a list under the side's lock) and the totals of the closed ones; a connection's counts move to those
/// totals once, when its transport has ended (<see cref="Closed"/>), under the same lock, so a collection never sees
/// a count twice or not at all.
/// </para>
/// <para>
/// Frames decoded or encoded after the transport ended (a handler still decoding what was buffered) are not added
/// to the totals; bytes cannot be, since the transport's loops have stopped.
/// </para>
/// </remarks>
internal sealed class ConnectionTelemetry
{
    private readonly SideMetrics _side;
    private readonly TimeProvider _timeProvider;
    private readonly long _openedAt;
    private readonly bool _recordFrameSizes;
    private FrameCounter[] _frames = [];
    private bool _countedActive;
    private int _closed;

    /// <summary>Bytes the transport received: written by the receive loop only (heartbeat and collections read it).</summary>
    public long BytesReceived;

    /// <summary>Bytes the transport's completed sends took: written by the send loop only.</summary>
    public long BytesSent;

    /// <summary>Clock ticks receiving was paused because the application was <c>MaxReadBufferSize</c> behind.</summary>
    public long ReceivePausedTicks;

    /// <summary>Clock ticks the write buffer held <c>MaxWriteBufferSize</c> or more, so flushes waited for the peer.</summary>
    public long TransmitPausedTicks;

    internal ConnectionTelemetry(SideMetrics side, KeyValuePair<string, object?>[] endPoint, TimeProvider timeProvider, long openedAt, bool recordFrameSizes)
    {
        _side = side;
        _recordFrameSizes = recordFrameSizes;
        EndPoint = endPoint;
        _timeProvider = timeProvider;
        _openedAt = openedAt;
    }

    /// <summary>Gets the instruments of the side (server or client) this connection is on.</summary>
    public SideMetrics Side => _side;

    /// <summary>Gets the endpoint attributes: the listener's on a server, the connect target's on a client.</summary>
    public KeyValuePair<string, object?>[] EndPoint { get; }

    /// <summary>Gets the clock of the connection's owner (timestamps of this object are in its units).</summary>
    public TimeProvider TimeProvider => _timeProvider;

    // The side's list of open connections (guarded by the side's lock).
    internal ConnectionTelemetry? Previous { get; set; }

    internal ConnectionTelemetry? Next { get; set; }

    /// <summary>Gets the frame counters so far (a snapshot: the array is replaced, never changed).</summary>
    internal FrameCounter[] FrameCounters => Volatile.Read(ref _frames);

    /// <summary>Counts the connection as active when a listener wants <c>connection.active</c>; called once, at open.</summary>
    internal void Opened()
    {
        if (_side.ActiveConnections.Enabled)
        {
            _countedActive = true;
            _side.ActiveConnections.Add(1, EndPoint);
        }
    }

    /// <summary>
    /// Gets the counter for frames of <paramref name="codec"/> in one direction, made the first time this connection
    /// meets the codec (codec switches are rare; a reader caches the counter while its decoder stays the same).
    /// </summary>
    public FrameCounter FrameCounter(string codec, bool receive)
    {
        foreach (var counter in Volatile.Read(ref _frames))
        {
            if (counter.IsReceive == receive && ReferenceEquals(counter.Codec, codec))
            {
                return counter;
            }
        }

        // Added by compare-and-swap (a connection has one or two codecs): no lock object per connection.
        var added = new FrameCounter(codec, receive, _recordFrameSizes ? _side.FrameSize : null);
        while (true)
        {
            var current = Volatile.Read(ref _frames);
            foreach (var counter in current)
            {
                if (counter.IsReceive == receive && string.Equals(counter.Codec, codec, StringComparison.Ordinal))
                {
                    return counter;
                }
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _frames, [.. current, added], current), current))
            {
                return added;
            }
        }
    }

    /// <summary>Records a frame the peer's bytes could not make (<c>frame.decode_errors</c>): rare, so recorded at once.</summary>
    public void DecodeError(string errorType, string codec, long count = 1)
    {
        if (_side.DecodeErrors.Enabled)
        {
            _side.DecodeErrors.Add(count, new(TelemetryTags.ErrorType, errorType), new(TelemetryTags.FrameCodec, codec));
        }
    }

    /// <summary>
    /// Records that a server-side middleware refused the connection before its handler ran
    /// (<c>tcptoolkit.server.rejected_connections</c>, e.g. an untrusted PROXY peer). Nothing on a client.
    /// </summary>
    public void Rejected(string errorType) => _side.Rejected(EndPoint, errorType);

    /// <summary>Starts timing a TLS handshake (and counts it in <c>tls_handshake.active</c> when that is enabled).</summary>
    public HandshakeTiming TlsHandshakeStarting()
    {
        var counted = false;
        if (_side.TlsHandshakeActive.Enabled)
        {
            counted = true;
            _side.TlsHandshakeActive.Add(1, EndPoint);
        }

        return new HandshakeTiming(_timeProvider.GetTimestamp(), counted);
    }

    /// <summary>Ends a handshake: <c>tls.protocol.version</c> when it succeeded, <c>error.type</c> when it did not.</summary>
    public void TlsHandshakeEnded(HandshakeTiming timing, string? protocolVersion, string? errorType)
    {
        if (timing.CountedActive)
        {
            _side.TlsHandshakeActive.Add(-1, EndPoint);
        }

        if (_side.TlsHandshakeDuration.Enabled)
        {
            var tags = new System.Diagnostics.TagList(EndPoint);
            if (protocolVersion is not null)
            {
                tags.Add(TelemetryTags.TlsProtocolVersion, protocolVersion);
            }

            if (errorType is not null)
            {
                tags.Add(TelemetryTags.ErrorType, errorType);
            }

            _side.TlsHandshakeDuration.Record(_timeProvider.GetElapsedTime(timing.StartedAt).TotalSeconds, tags);
        }
    }

    /// <summary>
    /// Called once, when the connection's transport has ended: leaves <c>connection.active</c>, records
    /// <c>connection.duration</c> (with <paramref name="errorType"/> unless the close was clean) and moves the
    /// counts to the side's totals.
    /// </summary>
    public void Closed(string? errorType)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (_countedActive)
        {
            _side.ActiveConnections.Add(-1, EndPoint);
        }

        if (_side.ConnectionDuration.Enabled)
        {
            var duration = _timeProvider.GetElapsedTime(_openedAt).TotalSeconds;
            if (errorType is null)
            {
                _side.ConnectionDuration.Record(duration, EndPoint);
            }
            else
            {
                var tags = new System.Diagnostics.TagList(EndPoint) { { TelemetryTags.ErrorType, errorType } };
                _side.ConnectionDuration.Record(duration, tags);
            }
        }

        _side.Remove(this);
    }

    /// <summary>Converts ticks of this connection's clock into seconds.</summary>
    internal double Seconds(long ticks) => (double)ticks / _timeProvider.TimestampFrequency;
}

/// <summary>When a TLS handshake started, and whether it was counted as active.</summary>
internal readonly record struct HandshakeTiming(long StartedAt, bool CountedActive);
