using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TcpToolkit.Diagnostics.Internal;

/// <summary>
/// The instruments of one side, <c>tcptoolkit.server.*</c> or <c>tcptoolkit.client.*</c>, on one meter, and the open
/// connections whose plain counters the observable ones sum (see <see cref="ConnectionTelemetry"/>).
/// </summary>
internal sealed class SideMetrics
{
    /// <summary>Kestrel's boundaries for connection lifetimes (not a standard: longer-lived than requests).</summary>
    private static readonly double[] LongSeconds = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

    /// <summary>The semantic conventions' boundaries for request durations, used by Kestrel for TLS handshakes.</summary>
    private static readonly double[] ShortSeconds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>Powers of four from 16 B to 16 MiB: a 32-byte message and a 64 KiB block land in buckets of their own.</summary>
    private static readonly long[] FrameSizes = [16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Codec, bool Receive), long> _closedFrames = [];
    private readonly Counter<long>? _rejectedConnections;
    private ConnectionTelemetry? _open;
    private long _closedBytesReceived;
    private long _closedBytesSent;
    private double _closedReceivePaused;
    private double _closedTransmitPaused;

    public SideMetrics(Meter meter, bool isServer)
    {
        IsServer = isServer;
        var side = isServer ? "server" : "client";
        var peers = isServer ? "on the server" : "opened by clients";
        ActiveConnections = meter.CreateUpDownCounter<long>(
            $"tcptoolkit.{side}.connection.active", "{connection}", $"Number of connections that are currently open {peers}.");
        ConnectionDuration = meter.CreateHistogram<double>(
            $"tcptoolkit.{side}.connection.duration",
            "s",
            $"The duration of connections {peers}; error.type is the close reason unless the connection closed cleanly.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LongSeconds });
        FrameSize = meter.CreateHistogram<long>(
            $"tcptoolkit.{side}.frame.size",
            "By",
            "The size of frames decoded (receive) or encoded (transmit) on connections, header included.",
            tags: null,
            new InstrumentAdvice<long> { HistogramBucketBoundaries = FrameSizes });
        DecodeErrors = meter.CreateCounter<long>(
            $"tcptoolkit.{side}.frame.decode_errors", "{error}", "Number of frames that could not be decoded (or were discarded) because of the peer's bytes.");
        TlsHandshakeDuration = meter.CreateHistogram<double>(
            $"tcptoolkit.{side}.tls_handshake.duration",
            "s",
            $"The duration of TLS handshakes {(isServer ? "on the server" : "of clients")}.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = ShortSeconds });
        TlsHandshakeActive = meter.CreateUpDownCounter<long>(
            $"tcptoolkit.{side}.tls_handshake.active", "{handshake}", "Number of TLS handshakes that are currently in progress.");
        meter.CreateObservableCounter<long>(
            $"tcptoolkit.{side}.io", ObserveIo, "By", "Bytes received and transmitted on the connections' sockets (below TLS).");
        meter.CreateObservableCounter<long>(
            $"tcptoolkit.{side}.frames", ObserveFrames, "{frame}", "Number of frames decoded (receive) and encoded (transmit), by codec.");
        meter.CreateObservableCounter<double>(
            $"tcptoolkit.{side}.backpressure.time",
            ObserveBackpressure,
            "s",
            "Time receiving was paused because the application was MaxReadBufferSize behind (receive), and time flushes waited because MaxWriteBufferSize bytes were unsent (transmit).");
        if (isServer)
        {
            _rejectedConnections = meter.CreateCounter<long>(
                "tcptoolkit.server.rejected_connections", "{connection}", "Number of connections refused before their handler ran (a limit, an untrusted or missing PROXY header).");
        }
        else
        {
            ConnectDuration = meter.CreateHistogram<double>(
                "tcptoolkit.client.connect.duration",
                "s",
                "The duration of connects (name resolution and TCP connect, before the client middleware).",
                tags: null,
                new InstrumentAdvice<double> { HistogramBucketBoundaries = ShortSeconds });
        }
    }

    public bool IsServer { get; }

    public UpDownCounter<long> ActiveConnections { get; }

    public Histogram<double> ConnectionDuration { get; }

    public Histogram<long> FrameSize { get; }

    public Counter<long> DecodeErrors { get; }

    public Histogram<double> TlsHandshakeDuration { get; }

    public UpDownCounter<long> TlsHandshakeActive { get; }

    /// <summary>Gets the client's connect duration; <see langword="null"/> on the server side.</summary>
    public Histogram<double>? ConnectDuration { get; }

    /// <summary>
    /// Gets whether an instrument with endpoint attributes has a listener: a client builds a connect target's
    /// attributes (an array, a boxed port) only then.
    /// </summary>
    public bool WantsEndPointTags => ActiveConnections.Enabled || ConnectionDuration.Enabled || TlsHandshakeDuration.Enabled
        || TlsHandshakeActive.Enabled || ConnectDuration?.Enabled == true || _rejectedConnections?.Enabled == true;

    /// <summary>Makes a connection's telemetry; it counts once <see cref="Open"/> has registered it.</summary>
    public ConnectionTelemetry Create(KeyValuePair<string, object?>[] endPoint, TimeProvider timeProvider, long openedAt, bool recordFrameSizes = false)
        => new(this, endPoint, timeProvider, openedAt, recordFrameSizes);

    /// <summary>Registers a connection (one lock, one list link, no allocation) and counts it as active.</summary>
    public void Open(ConnectionTelemetry telemetry)
    {
        lock (_lock)
        {
            telemetry.Next = _open;
            if (_open is not null)
            {
                _open.Previous = telemetry;
            }

            _open = telemetry;
        }

        telemetry.Opened();
    }

    /// <summary>Records a refused connection with the endpoint's attributes and <paramref name="errorType"/>.</summary>
    public void Rejected(KeyValuePair<string, object?>[] endPoint, string errorType)
    {
        if (_rejectedConnections is { Enabled: true } rejected)
        {
            var tags = new TagList(endPoint) { { TelemetryTags.ErrorType, errorType } };
            rejected.Add(1, tags);
        }
    }

    /// <summary>Moves a closed connection's counts to the totals and forgets it, in one step for collections.</summary>
    internal void Remove(ConnectionTelemetry telemetry)
    {
        lock (_lock)
        {
            _closedBytesReceived += Volatile.Read(ref telemetry.BytesReceived);
            _closedBytesSent += Volatile.Read(ref telemetry.BytesSent);
            _closedReceivePaused += telemetry.Seconds(Volatile.Read(ref telemetry.ReceivePausedTicks));
            _closedTransmitPaused += telemetry.Seconds(Volatile.Read(ref telemetry.TransmitPausedTicks));
            foreach (var counter in telemetry.FrameCounters)
            {
                var key = (counter.Codec, counter.IsReceive);
                _closedFrames[key] = _closedFrames.GetValueOrDefault(key) + counter.Frames;
            }

            if (telemetry.Previous is { } previous)
            {
                previous.Next = telemetry.Next;
            }
            else if (ReferenceEquals(_open, telemetry))
            {
                _open = telemetry.Next;
            }

            if (telemetry.Next is { } next)
            {
                next.Previous = telemetry.Previous;
            }

            telemetry.Previous = null;
            telemetry.Next = null;
        }
    }

    private Measurement<long>[] ObserveIo()
    {
        lock (_lock)
        {
            long received = _closedBytesReceived, sent = _closedBytesSent;
            for (var t = _open; t is not null; t = t.Next)
            {
                received += Volatile.Read(ref t.BytesReceived);
                sent += Volatile.Read(ref t.BytesSent);
            }

            return [new(received, TelemetryTags.Receive), new(sent, TelemetryTags.Transmit)];
        }
    }

    private Measurement<double>[] ObserveBackpressure()
    {
        lock (_lock)
        {
            double receive = _closedReceivePaused, transmit = _closedTransmitPaused;
            for (var t = _open; t is not null; t = t.Next)
            {
                receive += t.Seconds(Volatile.Read(ref t.ReceivePausedTicks));
                transmit += t.Seconds(Volatile.Read(ref t.TransmitPausedTicks));
            }

            return [new(receive, TelemetryTags.Receive), new(transmit, TelemetryTags.Transmit)];
        }
    }

    private List<Measurement<long>> ObserveFrames()
    {
        Dictionary<(string Codec, bool Receive), long> sums;
        lock (_lock)
        {
            sums = new(_closedFrames);
            for (var t = _open; t is not null; t = t.Next)
            {
                foreach (var counter in t.FrameCounters)
                {
                    var key = (counter.Codec, counter.IsReceive);
                    sums[key] = sums.GetValueOrDefault(key) + counter.Frames;
                }
            }
        }

        var measurements = new List<Measurement<long>>(sums.Count);
        foreach (var ((codec, receive), frames) in sums)
        {
            measurements.Add(new(frames, receive ? TelemetryTags.Receive : TelemetryTags.Transmit, new(TelemetryTags.FrameCodec, codec)));
        }

        return measurements;
    }
}
