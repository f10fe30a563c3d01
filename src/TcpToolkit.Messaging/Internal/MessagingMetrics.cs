using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using TcpToolkit.Diagnostics;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The request/response instruments on the <c>TcpToolkit</c> meter (issue #14), named after OpenTelemetry's RPC
/// semantic conventions: a call is measured by its role, so <c>rpc.client.*</c> covers every request this process
/// sent (a <see cref="MessageClient"/>'s, or a server's through its <see cref="MessageSession"/>) and
/// <c>rpc.server.*</c> every request it handled. One instance per <see cref="IMeterFactory"/> (and one for none), so
/// a host's container owns its meter. Every recording is guarded by the instrument's <c>Enabled</c> flag and uses a
/// <see cref="TagList"/> of cached strings: nothing is allocated per request, listened to or not. The calls in flight
/// are observable instruments over counters kept here, so a listener pays two measurement callbacks per call (the
/// durations), not six.
/// </summary>
internal sealed class MessagingMetrics
{
    /// <summary>The <c>rpc.system.name</c> of every call.</summary>
    public const string SystemName = "tcptoolkit";

    /// <summary>The <c>rpc.method</c> of a method that is not recognised (semantic conventions' fallback value).</summary>
    public const string OtherMethod = "_OTHER";

    // Distinct outgoing method names that keep their name per meter; later ones are _OTHER. Callers choose their
    // method names in code, so this bound is only a guard against a caller that builds names from data.
    private const int MaxOutgoingMethods = 256;

    // The conventions' boundaries (5 ms .. 10 s) with sub-millisecond ones in front: a loopback call takes tens of
    // microseconds, which would otherwise all fall into the first bucket.
    private static readonly IReadOnlyList<double> DurationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private static readonly ConditionalWeakTable<IMeterFactory, MessagingMetrics> ByFactory = [];
    private static readonly Lazy<MessagingMetrics> Shared = new(() => new MessagingMetrics(new Meter(TcpToolkitTelemetry.MeterName)));

    private readonly ConcurrentDictionary<string, string> _outgoingMethods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _serverActiveCounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _clientActiveCounts = new(StringComparer.Ordinal);
    private readonly long[] _clientStates = new long[3];
    private readonly Histogram<double> _serverDuration;
    private readonly Histogram<double> _clientDuration;
    private readonly ObservableUpDownCounter<long> _serverActive;
    private readonly ObservableUpDownCounter<long> _clientActive;
    private readonly Counter<long> _oneWayMessages;
    private readonly Counter<long> _goAways;
    private readonly Counter<long> _lateReplies;
    private readonly Counter<long> _reconnects;

    private MessagingMetrics(Meter meter)
    {
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets };
        _serverDuration = meter.CreateHistogram(
            "rpc.server.call.duration", "s", "Duration of the requests this process handled, from receipt to the answer written.", advice: advice);
        _clientDuration = meter.CreateHistogram(
            "rpc.client.call.duration", "s", "Duration of the requests this process sent, from the call to its outcome (connection wait and retries included).", advice: advice);
        _serverActive = meter.CreateObservableUpDownCounter(
            "tcptoolkit.rpc.server.call.active", () => ObserveActive(_serverActiveCounts), "{call}", "Requests received and not answered yet (queued or running).");
        _clientActive = meter.CreateObservableUpDownCounter(
            "tcptoolkit.rpc.client.call.active", () => ObserveActive(_clientActiveCounts), "{call}", "Requests called without an outcome yet.");
        _oneWayMessages = meter.CreateCounter<long>(
            "tcptoolkit.rpc.one_way_messages", "{message}", "One-way messages (pushes) sent and received.");
        _goAways = meter.CreateCounter<long>(
            "tcptoolkit.rpc.goaways", "{goaway}", "GoAway frames sent (a session going away gracefully) and received.");
        _lateReplies = meter.CreateCounter<long>(
            "tcptoolkit.rpc.client.late_replies", "{reply}", "Answers that arrived after their request had timed out or been cancelled; dropped.");
        _reconnects = meter.CreateCounter<long>(
            "tcptoolkit.rpc.client.reconnects", "{reconnect}", "Times a MessageClient connected again after losing its connection or after the server went away.");
        meter.CreateObservableUpDownCounter(
            "tcptoolkit.rpc.client.connection.count",
            ObserveClientStates,
            "{connection}",
            "MessageClients by the state of their connection (started and not closed).");
    }

    /// <summary>Gets the instruments on <paramref name="factory"/>'s meter, or on the process-wide meter when it is null.</summary>
    public static MessagingMetrics For(IMeterFactory? factory)
        => factory is null
            ? Shared.Value
            : ByFactory.GetValue(factory, static f => new MessagingMetrics(f.Create(new MeterOptions(TcpToolkitTelemetry.MeterName))));

    public bool ServerDurationEnabled => _serverDuration.Enabled;

    public bool ServerActiveEnabled => _serverActive.Enabled;

    public bool ClientDurationEnabled => _clientDuration.Enabled;

    public bool ClientActiveEnabled => _clientActive.Enabled;

    /// <summary>
    /// Gets the <c>rpc.method</c> of a request this process sends: the caller's name for the first
    /// <see cref="MaxOutgoingMethods"/> distinct names, then <see cref="OtherMethod"/>. No allocation once a name is known.
    /// </summary>
    public string OutgoingMethod(string method)
    {
        if (_outgoingMethods.TryGetValue(method, out var known))
        {
            return known;
        }

        if (_outgoingMethods.Count >= MaxOutgoingMethods)
        {
            return OtherMethod;
        }

        return _outgoingMethods.GetOrAdd(method, method);
    }

    /// <summary>
    /// Gets the in-flight counter of a received call's method: the caller increments it, and decrements it when the
    /// call ends (a method's counter is made once; <paramref name="method"/> is bounded already).
    /// </summary>
    public StrongBox<long> ServerActive(string method) => _serverActiveCounts.GetOrAdd(method, static _ => new StrongBox<long>());

    /// <summary>Gets the in-flight counter of a sent call's method (see <see cref="ServerActive"/>).</summary>
    public StrongBox<long> ClientActive(string method) => _clientActiveCounts.GetOrAdd(method, static _ => new StrongBox<long>());

    public void ServerDuration(string method, string? errorType, double seconds)
    {
        var tags = Tags(method, errorType);
        _serverDuration.Record(seconds, tags);
    }

    public void ClientDuration(string method, string? errorType, double seconds)
    {
        var tags = Tags(method, errorType);
        _clientDuration.Record(seconds, tags);
    }

    /// <summary>Counts a one-way message; <paramref name="method"/> must be bounded already (a route, or <see cref="OutgoingMethod"/>).</summary>
    public void OneWay(string method, bool sent)
    {
        if (_oneWayMessages.Enabled)
        {
            var tags = Tags(method);
            tags.Add("network.io.direction", sent ? "transmit" : "receive");
            _oneWayMessages.Add(1, tags);
        }
    }

    /// <summary>Counts a one-way message this end sent to <paramref name="method"/> (a caller's name, bounded here).</summary>
    public void OneWaySent(string method)
    {
        if (_oneWayMessages.Enabled)
        {
            OneWay(OutgoingMethod(method), sent: true);
        }
    }

    public void GoAway(bool sent)
    {
        if (_goAways.Enabled)
        {
            _goAways.Add(1, new KeyValuePair<string, object?>("network.io.direction", sent ? "transmit" : "receive"));
        }
    }

    public void LateReply()
    {
        if (_lateReplies.Enabled)
        {
            _lateReplies.Add(1, new KeyValuePair<string, object?>("rpc.system.name", SystemName));
        }
    }

    public void Reconnect(in EndPointTags server)
    {
        if (_reconnects.Enabled)
        {
            var tags = new TagList { { "rpc.system.name", SystemName } };
            server.AddTo(ref tags);
            _reconnects.Add(1, tags);
        }
    }

    /// <summary>Moves a client from one state to another; <see langword="null"/> is "not counted" (before start, after close).</summary>
    public void ClientState(MessageClientState? from, MessageClientState? to)
    {
        if (Slot(from) is { } left)
        {
            Interlocked.Decrement(ref _clientStates[left]);
        }

        if (Slot(to) is { } entered)
        {
            Interlocked.Increment(ref _clientStates[entered]);
        }
    }

    private static int? Slot(MessageClientState? state) => state switch
    {
        MessageClientState.Connecting => 0,
        MessageClientState.Connected => 1,
        MessageClientState.Reconnecting => 2,
        _ => null,
    };

    private static TagList Tags(string method, string? errorType = null)
    {
        var tags = new TagList
        {
            { "rpc.system.name", SystemName },
            { "rpc.method", method },
        };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        return tags;
    }

    private static List<Measurement<long>> ObserveActive(ConcurrentDictionary<string, StrongBox<long>> counts)
    {
        List<Measurement<long>> measurements = [];
        foreach (var (method, count) in counts)
        {
            measurements.Add(new(Volatile.Read(ref count.Value), Tags(method)));
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> ObserveClientStates()
    {
        const string State = "tcptoolkit.rpc.client.connection.state";
        return
        [
            new(Volatile.Read(ref _clientStates[0]), new KeyValuePair<string, object?>(State, "connecting")),
            new(Volatile.Read(ref _clientStates[1]), new KeyValuePair<string, object?>(State, "connected")),
            new(Volatile.Read(ref _clientStates[2]), new KeyValuePair<string, object?>(State, "reconnecting")),
        ];
    }
}
