using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// One <c>TcpClient.TryConnectAsync</c> as the telemetry sees it: the <c>tcptoolkit.client.connect.duration</c>
/// measurement (resolution and TCP connect, recorded once: at the connect, or at the failure) and the
/// <c>TcpToolkit.Connect</c> span (the whole call, client middleware included). A struct, and nothing is built while
/// nobody listens: no attributes, no span.
/// </summary>
internal struct ConnectAttempt : IDisposable
{
    private readonly SideMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly long _startedAt;
    private readonly Activity? _activity;
    private bool _connected;
    private bool _recorded;

    public ConnectAttempt(SideMetrics metrics, EndPoint target, TimeProvider timeProvider)
    {
        _metrics = metrics;
        _timeProvider = timeProvider;
        _startedAt = timeProvider.GetTimestamp();
        Tags = metrics.WantsEndPointTags ? TelemetryTags.Of(target) : TelemetryTags.None;
        _activity = TcpToolkitActivity.Source.StartActivity("TcpToolkit.Connect", ActivityKind.Client);
        if (_activity is not null)
        {
            var tags = Tags.Length > 0 ? Tags : TelemetryTags.Of(target);
            foreach (var tag in tags)
            {
                _activity.SetTag(tag.Key, tag.Value);
            }

            _activity.DisplayName = "connect " + target switch
            {
                IPEndPoint ip => ip.ToString(),
                DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => target.ToString(),
            };
        }
    }

    /// <summary>Gets the endpoint attributes of the connection's instruments (empty while nobody wants them).</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>The TCP connect to <paramref name="endPoint"/> succeeded (the middleware, if any, runs next).</summary>
    public void Connected(EndPoint endPoint)
    {
        _connected = true;
        RecordConnect(errorType: null);
        if (_activity is not null && endPoint is IPEndPoint ip)
        {
            _activity.SetTag("network.peer.address", ip.Address.ToString());
            _activity.SetTag("network.peer.port", ip.Port);
        }
    }

    /// <summary>No address could be connected to, or the attempt timed out.</summary>
    public void Failed(SocketError error) => Fail(ErrorTypes.Of(error), "The connect failed: " + error + ".");

    /// <summary>The attempt ended with an exception: a cancellation, or a middleware's failure after the connect.</summary>
    public void Failed(Exception exception)
        => Fail(exception is OperationCanceledException ? "canceled" : _connected ? "middleware_error" : ErrorTypes.Other, exception.Message);

    public readonly void Dispose() => _activity?.Dispose();

    private void Fail(string errorType, string description)
    {
        RecordConnect(errorType);
        if (_activity is not null)
        {
            _activity.SetTag(TelemetryTags.ErrorType, errorType);
            _activity.SetStatus(ActivityStatusCode.Error, description);
        }
    }

    private void RecordConnect(string? errorType)
    {
        if (_recorded)
        {
            return;
        }

        _recorded = true;
        if (_metrics.ConnectDuration is { Enabled: true } duration)
        {
            var seconds = _timeProvider.GetElapsedTime(_startedAt).TotalSeconds;
            if (errorType is null)
            {
                duration.Record(seconds, Tags);
            }
            else
            {
                var tags = new TagList(Tags) { { TelemetryTags.ErrorType, errorType } };
                duration.Record(seconds, tags);
            }
        }
    }
}
