using System.Diagnostics;
using TcpToolkit.Diagnostics;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The request/response spans on the <c>TcpToolkit</c> activity source (issue #14), after OpenTelemetry's RPC
/// conventions: a client span (<see cref="ActivityKind.Client"/>) per request sent and a server span
/// (<see cref="ActivityKind.Server"/>) per request handled, named after the method. The trace context travels in the
/// request's metadata through <see cref="DistributedContextPropagator.Current"/> (W3C <c>traceparent</c> and
/// <c>tracestate</c> by default). Without a listener that samples the span, nothing is created and nothing is added
/// to the wire.
/// </summary>
internal static class MessagingActivitySource
{
    public static readonly ActivitySource Source = new(TcpToolkitTelemetry.ActivitySourceName);

    /// <summary>
    /// Starts the client span of a request, child of the caller's current activity. The caller's
    /// <see cref="Activity.Current"/> is left as it was: the call returns before its span ends.
    /// </summary>
    /// <param name="method">The method the caller named.</param>
    /// <param name="server">The server's tags (a client's configured endpoint), or <see langword="null"/> for the channel's peer.</param>
    /// <param name="channel">The connection the request goes on, when <paramref name="server"/> is null.</param>
    public static Activity? StartClient(string method, EndPointTags? server, MessageChannel? channel)
    {
        var previous = Activity.Current;
        var activity = Source.StartActivity(SpanName(method), ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        Activity.Current = previous;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("rpc.system.name", MessagingMetrics.SystemName);
            activity.SetTag("rpc.method", method);
            (server ?? channel?.RemoteTags)?.AddTo(activity);
        }

        return activity;
    }

    /// <summary>
    /// Starts the server span of a received request: its parent is the trace context in the request's metadata, or
    /// none (a root span; the connection's ambient activity is not the request's parent).
    /// </summary>
    /// <param name="metadata">The request's metadata block (read for the trace context), or <see langword="null"/>.</param>
    /// <param name="method">The recognised method (a route), or <see cref="MessagingMetrics.OtherMethod"/>.</param>
    /// <param name="originalMethod">The method the peer named.</param>
    /// <param name="channel">The connection it came on (its local endpoint is the span's <c>server.*</c>).</param>
    public static Activity? StartServer(byte[]? metadata, string method, string originalMethod, MessageChannel? channel)
    {
        var propagator = DistributedContextPropagator.Current;
        propagator.ExtractTraceIdAndState(metadata, GetMetadata, out var traceParent, out var traceState);
        ActivityContext parent = default;
        if (traceParent is not null)
        {
            _ = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);
        }

        // Activity.Current is set only when it changes: each change copies the execution context (an allocation per
        // request when a listener samples nothing and the connection carries an ambient activity).
        var previous = Activity.Current;
        if (previous is not null)
        {
            Activity.Current = null;
        }

        var activity = Source.StartActivity(SpanName(method), ActivityKind.Server, parent);
        if (!ReferenceEquals(Activity.Current, previous))
        {
            Activity.Current = previous;
        }

        if (activity is null)
        {
            return null;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("rpc.system.name", MessagingMetrics.SystemName);
            activity.SetTag("rpc.method", method);
            if (!ReferenceEquals(method, originalMethod))
            {
                activity.SetTag("rpc.method_original", originalMethod);
            }

            channel?.LocalTags.AddTo(activity);
        }

        if (traceParent is not null && propagator.ExtractBaggage(metadata, GetMetadata) is { } baggage)
        {
            foreach (var (key, value) in baggage)
            {
                activity.AddBaggage(key, value);
            }
        }

        return activity;
    }

    /// <summary>Ends a span: <paramref name="errorType"/> (null on success) becomes <c>error.type</c> and an error status.</summary>
    public static void Stop(Activity activity, string? errorType, string? description = null)
    {
        if (errorType is not null)
        {
            activity.SetTag("error.type", errorType);
            activity.SetStatus(ActivityStatusCode.Error, description ?? errorType);
        }

        activity.Stop();
    }

    /// <summary>
    /// Adds the span's trace context to a request's metadata. Keys the caller set itself (its own
    /// <c>traceparent</c>, say) are left as the caller set them; a context that would not fit is not sent.
    /// </summary>
    public static byte[]? Inject(Activity activity, IReadOnlyDictionary<string, string>? callerMetadata, byte[]? encoded)
    {
        List<KeyValuePair<string, string>> fields = [];
        DistributedContextPropagator.Current.Inject(
            activity,
            fields,
            static (carrier, name, value) =>
            {
                if (value is not null)
                {
                    ((List<KeyValuePair<string, string>>)carrier!).Add(new(name, value));
                }
            });
        if (callerMetadata is not null)
        {
            fields.RemoveAll(field => callerMetadata.ContainsKey(field.Key));
        }

        if (fields.Count == 0)
        {
            return encoded;
        }

        byte[] trace;
        try
        {
            trace = Wire.EncodeMetadata(fields);
        }
        catch (ArgumentException)
        {
            // A custom propagator's field that the metadata cannot carry: the request goes without it.
            return encoded;
        }

        if (encoded is null)
        {
            return trace;
        }

        if (encoded.Length + trace.Length > ushort.MaxValue)
        {
            return encoded;
        }

        return [.. encoded, .. trace];
    }

    private static string SpanName(string method)
        => method.Length == 0 || ReferenceEquals(method, MessagingMetrics.OtherMethod) ? MessagingMetrics.SystemName : method;

    private static void GetMetadata(object? carrier, string fieldName, out string? fieldValue, out IEnumerable<string>? fieldValues)
    {
        fieldValues = null;
        fieldValue = carrier is byte[] block ? Wire.FindMetadata(block, fieldName) : null;
    }
}
