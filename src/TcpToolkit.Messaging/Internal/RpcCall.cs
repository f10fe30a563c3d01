using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The telemetry of one request, begun when it starts and ended once with its outcome: its duration, its place in the
/// active calls and its span. A request this end sends is begun when the caller calls and ended by its pending entry
/// once the channel has taken it (by the caller's code path before that: a connection wait that timed out, a request
/// too long to send). A request this end receives is begun on receipt and ended when it is answered or dropped.
/// Empty, and free, when nobody listens.
/// </summary>
internal readonly struct RpcCall
{
    private readonly long _start;
    private readonly bool _server;

    private RpcCall(bool server, string? method, bool timed, long start, StrongBox<long>? active, Activity? activity)
    {
        _server = server;
        Method = method;
        Timed = timed;
        _start = start;
        Active = active;
        Activity = activity;
    }

    /// <summary>Gets the <c>rpc.method</c> of the metrics, or <see langword="null"/> when no metric is recorded.</summary>
    public string? Method { get; }

    /// <summary>Gets a value indicating whether the duration is recorded.</summary>
    public bool Timed { get; }

    /// <summary>Gets the in-flight counter the call was counted in, or <see langword="null"/>.</summary>
    public StrongBox<long>? Active { get; }

    /// <summary>Gets the span, or <see langword="null"/>.</summary>
    public Activity? Activity { get; }

    /// <summary>Gets a value indicating whether anything must be ended.</summary>
    public bool IsTracked => Method is not null || Active is not null || Activity is not null;

    /// <summary>Begins a request this end sends.</summary>
    /// <param name="metrics">The endpoint's instruments.</param>
    /// <param name="time">The endpoint's clock.</param>
    /// <param name="method">The method the caller named.</param>
    /// <param name="server">The server's tags (a client's configured endpoint), or <see langword="null"/> to take the channel's peer.</param>
    /// <param name="channel">The connection the request goes on, when <paramref name="server"/> is null.</param>
    public static RpcCall BeginOutgoing(MessagingMetrics metrics, TimeProvider time, string method, EndPointTags? server, MessageChannel? channel)
    {
        string? tag = null;
        var timed = false;
        long start = 0;
        StrongBox<long>? active = null;
        if (metrics.ClientDurationEnabled)
        {
            tag = metrics.OutgoingMethod(method);
            timed = true;
            start = time.GetTimestamp();
        }

        if (metrics.ClientActiveEnabled)
        {
            active = metrics.ClientActive(tag ?? metrics.OutgoingMethod(method));
            Interlocked.Increment(ref active.Value);
        }

        var activity = MessagingActivitySource.Source.HasListeners() ? MessagingActivitySource.StartClient(method, server, channel) : null;
        return new RpcCall(server: false, tag, timed, start, active, activity);
    }

    /// <summary>Begins a request this end received.</summary>
    /// <param name="metrics">The endpoint's instruments.</param>
    /// <param name="time">The endpoint's clock.</param>
    /// <param name="metricMethod">The route, or <see cref="MessagingMetrics.OtherMethod"/>: the peer never chooses an attribute value.</param>
    /// <param name="method">The method the peer named (the span's <c>rpc.method_original</c> when it is not a route).</param>
    /// <param name="metadata">The request's metadata block, read for the trace context.</param>
    /// <param name="channel">The connection it came on (null in unit tests).</param>
    public static RpcCall BeginIncoming(
        MessagingMetrics metrics, TimeProvider time, string metricMethod, string method, in ReadOnlySequence<byte> metadata, MessageChannel? channel)
    {
        string? tag = null;
        var timed = false;
        long start = 0;
        StrongBox<long>? active = null;
        if (metrics.ServerDurationEnabled)
        {
            tag = metricMethod;
            timed = true;
            start = time.GetTimestamp();
        }

        if (metrics.ServerActiveEnabled)
        {
            active = metrics.ServerActive(metricMethod);
            Interlocked.Increment(ref active.Value);
        }

        var activity = MessagingActivitySource.Source.HasListeners()
            ? MessagingActivitySource.StartServer(metadata.IsEmpty ? null : metadata.ToArray(), metricMethod, method, channel)
            : null;
        return new RpcCall(server: true, tag, timed, start, active, activity);
    }

    /// <summary>Ends the call with <paramref name="errorType"/> (<see langword="null"/>: success).</summary>
    public void End(MessagingMetrics metrics, TimeProvider time, string? errorType, string? description = null)
    {
        if (Active is { } active)
        {
            Interlocked.Decrement(ref active.Value);
        }

        if (Timed)
        {
            var seconds = time.GetElapsedTime(_start).TotalSeconds;
            if (_server)
            {
                metrics.ServerDuration(Method!, errorType, seconds);
            }
            else
            {
                metrics.ClientDuration(Method!, errorType, seconds);
            }
        }

        if (Activity is { } activity)
        {
            MessagingActivitySource.Stop(activity, errorType, description);
        }
    }

    /// <summary>Ends a call this end sent with the exception its caller gets.</summary>
    public void End(MessagingMetrics metrics, TimeProvider time, Exception exception)
        => End(metrics, time, RpcErrorTypes.Of(exception), exception.Message);
}
