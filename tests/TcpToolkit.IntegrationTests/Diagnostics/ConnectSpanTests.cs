using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Diagnostics;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// The client's <c>TcpToolkit.Connect</c> span, the one span the core package starts (the README's Tracing section
/// says why there is no accept or connection span). An <see cref="ActivityListener"/> sees every test's spans, so each
/// test keeps those of its own target port.
/// </summary>
public sealed class ConnectSpanTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public ConnectSpanTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TcpToolkitTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task ConnectAsync_Succeeds_SpanWithTargetAndPeerUnderTheCallersActivity()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        using var parent = new Activity("test parent").Start();

        await using (await scenario.Client.ConnectAsync(scenario.Server.LocalEndPoint, ct))
        {
        }

        parent.Stop();
        var span = Spans(scenario.Port).Should().ContainSingle().Subject;
        span.Kind.Should().Be(ActivityKind.Client);
        span.DisplayName.Should().Be("connect 127.0.0.1:" + scenario.Port);
        span.Status.Should().Be(ActivityStatusCode.Unset);
        span.ParentSpanId.Should().Be(parent.SpanId);
        span.GetTagItem("server.address").Should().Be("127.0.0.1");
        span.GetTagItem("network.peer.address").Should().Be("127.0.0.1");
        span.GetTagItem("network.transport").Should().Be("tcp");
    }

    [Fact]
    public async Task ConnectAsync_Refused_SpanWithErrorStatusAndType()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        (await scenario.Client.TryConnectAsync(new IPEndPoint(IPAddress.Loopback, closedPort), ct)).Connection.Should().BeNull();

        var span = Spans(closedPort).Should().ContainSingle().Subject;
        span.Status.Should().Be(ActivityStatusCode.Error);
        span.GetTagItem("error.type").Should().Be("connection_refused");
    }

    public void Dispose() => _listener.Dispose();

    private List<Activity> Spans(int port) => [.. _stopped.Where(a => a.OperationName == "TcpToolkit.Connect" && Equals(a.GetTagItem("server.port"), port))];
}
