using System.Diagnostics;
using System.Net;
using TcpToolkit.Messaging;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// Issue #14: the request/response spans on the <c>TcpToolkit</c> activity source, over loopback sockets. Activity
/// listeners are process-wide, so each test samples only the spans of its own method names (unique per test run):
/// requests of tests running beside it get no span, and no trace context on the wire.
/// </summary>
public sealed class RpcTracingTests
{
    [Fact]
    public async Task SendRequestAsync_Sampled_ClientAndServerSpansShareOneTrace()
    {
        var ct = TestServers.Timeout();
        var method = Unique("traced");
        using var spans = new SpanRecorder(method);
        var seen = new TaskCompletionSource<(Activity? Current, IReadOnlyDictionary<string, string> Metadata)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = new MessageServer().Map(method, (request, _) =>
        {
            seen.TrySetResult((Activity.Current, new Dictionary<string, string>(request.Metadata)));
            return ValueTask.CompletedTask;
        });
        await using var server = await TestServers.StartAsync(messages.HandleConnectionAsync);
        var endPoint = (IPEndPoint)server.LocalEndPoint;
        await using var client = new MessageClient(endPoint, new MessageClientOptions { HeartbeatInterval = null });
        await client.StartAsync(ct);

        using (var parent = SpanRecorder.Ambient.StartActivity("caller"))
        {
            var call = client.SendRequestAsync(method, "x"u8.ToArray(), ct);
            Activity.Current.Should().BeSameAs(parent, "the client span does not stay current in the caller once the call returns");
            using var reply = await call;

            var client_ = await spans.WaitForAsync(ActivityKind.Client, ct);
            var server_ = await spans.WaitForAsync(ActivityKind.Server, ct);
            client_.ParentSpanId.Should().Be(parent!.SpanId, "the caller's activity is the client span's parent");
            client_.TraceId.Should().Be(parent.TraceId);
            server_.TraceId.Should().Be(client_.TraceId, "the trace context travelled in the request's metadata");
            server_.ParentSpanId.Should().Be(client_.SpanId);
            server_.HasRemoteParent.Should().BeTrue();
            foreach (var span in new[] { client_, server_ })
            {
                span.DisplayName.Should().Be(method);
                span.Source.Name.Should().Be("TcpToolkit");
                span.Status.Should().Be(ActivityStatusCode.Unset);
                span.GetTagItem("rpc.system.name").Should().Be("tcptoolkit");
                span.GetTagItem("rpc.method").Should().Be(method);
                span.GetTagItem("server.address").Should().Be("127.0.0.1");
                span.GetTagItem("server.port").Should().Be(endPoint.Port);
                span.GetTagItem("error.type").Should().BeNull();
            }

            var (current, metadata) = await seen.Task.WaitAsync(ct);
            current.Should().BeSameAs(server_, "the handler runs under its request's server span");
            metadata.Should().ContainKey("traceparent").WhoseValue.Should().Be(client_.Id);
        }
    }

    [Fact]
    public async Task SendRequestAsync_HandlerThrows_BothSpansEndWithErrorType()
    {
        var ct = TestServers.Timeout();
        var method = Unique("failing");
        using var spans = new SpanRecorder(method);
        var messages = new MessageServer().Map(method, (_, _) => throw new InvalidOperationException("The handler failed on purpose."));
        await using var server = await TestServers.StartAsync(messages.HandleConnectionAsync);
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions { HeartbeatInterval = null });
        await client.StartAsync(ct);

        await client.Invoking(c => c.SendRequestAsync(method, ReadOnlyMemory<byte>.Empty, ct).AsTask()).Should().ThrowAsync<RemoteErrorException>();

        foreach (var kind in new[] { ActivityKind.Client, ActivityKind.Server })
        {
            var span = await spans.WaitForAsync(kind, ct);
            span.Status.Should().Be(ActivityStatusCode.Error);
            span.GetTagItem("error.type").Should().Be("handler_failed");
        }
    }

    [Fact]
    public async Task SendRequestAsync_UnmappedMethod_ServerSpanIsOtherWithTheOriginalName()
    {
        var ct = TestServers.Timeout();
        var method = Unique("unmapped");
        using var spans = new SpanRecorder(method, "tcptoolkit");
        await using var server = await TestServers.StartAsync(new MessageServer().HandleConnectionAsync);
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions { HeartbeatInterval = null });
        await client.StartAsync(ct);

        await client.Invoking(c => c.SendRequestAsync(method, ReadOnlyMemory<byte>.Empty, ct).AsTask()).Should().ThrowAsync<RemoteErrorException>();

        var client_ = await spans.WaitForAsync(ActivityKind.Client, ct);
        var server_ = await spans.WaitForAsync(ActivityKind.Server, ct, s => s.GetTagItem("rpc.method_original") as string == method);
        server_.DisplayName.Should().Be("tcptoolkit", "a peer's method name is not a span name unless the server maps it");
        server_.GetTagItem("rpc.method").Should().Be("_OTHER");
        server_.GetTagItem("error.type").Should().Be("unknown_method");
        server_.ParentSpanId.Should().Be(client_.SpanId);
    }

    [Fact]
    public async Task SendRequestAsync_ServerToClient_SessionRequestHasClientAndServerSpans()
    {
        var ct = TestServers.Timeout();
        var method = Unique("ask-client");
        using var spans = new SpanRecorder(method, "tcptoolkit");
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = new MessageServer(new MessageServerOptions
        {
            SessionStarted = (session, stopping) =>
            {
                _ = AskAsync(session);
                return ValueTask.CompletedTask;
            },
        });
        await using var server = await TestServers.StartAsync(messages.HandleConnectionAsync);
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions
        {
            HeartbeatInterval = null,
            Handler = (request, _) => ValueTask.CompletedTask,
        });
        await client.StartAsync(ct);
        await answered.Task.WaitAsync(ct);

        var asking = await spans.WaitForAsync(ActivityKind.Client, ct);
        var answering = await spans.WaitForAsync(ActivityKind.Server, ct, s => s.GetTagItem("rpc.method_original") as string == method);
        answering.ParentSpanId.Should().Be(asking.SpanId);
        answering.TraceId.Should().Be(asking.TraceId);
        answering.GetTagItem("rpc.method").Should().Be("_OTHER", "the client's handler maps no routes");
        answering.GetTagItem("rpc.method_original").Should().Be(method);

        async Task AskAsync(MessageSession session)
        {
            using (await session.SendRequestAsync(method, ReadOnlyMemory<byte>.Empty, cancellationToken: ct))
            {
                answered.TrySetResult();
            }
        }
    }

    [Fact]
    public async Task SendRequestAsync_CallerSetTraceparent_CallersValueIsSent()
    {
        var ct = TestServers.Timeout();
        var method = Unique("own-context");
        using var spans = new SpanRecorder(method);
        const string Own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var seen = new TaskCompletionSource<IReadOnlyDictionary<string, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = new MessageServer().Map(method, (request, _) =>
        {
            seen.TrySetResult(new Dictionary<string, string>(request.Metadata));
            return ValueTask.CompletedTask;
        });
        await using var server = await TestServers.StartAsync(messages.HandleConnectionAsync);
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions { HeartbeatInterval = null });
        await client.StartAsync(ct);

        var options = new RequestOptions { Metadata = new Dictionary<string, string> { ["traceparent"] = Own, ["tenant"] = "a" } };
        using (await client.SendRequestAsync(method, ReadOnlyMemory<byte>.Empty, options, ct))
        {
        }

        var metadata = await seen.Task.WaitAsync(ct);
        metadata.Should().Contain("traceparent", Own).And.Contain("tenant", "a");
        (await spans.WaitForAsync(ActivityKind.Server, ct)).TraceId.ToString().Should().Be("0af7651916cd43dd8448eb211c80319c");
    }

    [Fact]
    public async Task SendRequestAsync_NotSampled_NoSpanAndNoMetadataOnTheWire()
    {
        var ct = TestServers.Timeout();
        var method = Unique("untraced");

        // A listener on the TcpToolkit source that samples nothing of this test: as if a tracer filtered these out.
        using var spans = new SpanRecorder(Unique("something-else"));
        var seen = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = new MessageServer().Map(method, (request, _) =>
        {
            seen.TrySetResult(request.Metadata.Count);
            return ValueTask.CompletedTask;
        });
        await using var server = await TestServers.StartAsync(messages.HandleConnectionAsync);
        await using var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions { HeartbeatInterval = null });
        await client.StartAsync(ct);

        using (await client.SendRequestAsync(method, ReadOnlyMemory<byte>.Empty, ct))
        {
        }

        (await seen.Task.WaitAsync(ct)).Should().Be(0, "no span was sampled, so no trace context was added to the request");
        spans.Stopped.Should().BeEmpty();
    }

    private static string Unique(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Samples the TcpToolkit spans with the given names (and only those) and collects them when they stop.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly List<Activity> _stopped = [];
        private readonly HashSet<string> _names;
        private readonly SemaphoreSlim _signal = new(0);

        public SpanRecorder(params string[] names)
        {
            _names = [.. names];
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is "TcpToolkit" or AmbientName,
                Sample = (ref ActivityCreationOptions<ActivityContext> options)
                    => options.Source.Name == AmbientName || _names.Contains(options.Name) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
                ActivityStopped = activity =>
                {
                    if (activity.Source.Name == "TcpToolkit" && _names.Contains(activity.OperationName))
                    {
                        lock (_stopped)
                        {
                            _stopped.Add(activity);
                        }

                        _signal.Release();
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        private const string AmbientName = "TcpToolkit.IntegrationTests.Caller";

        /// <summary>Gets a source of this test's own ambient activities (the caller's span).</summary>
        public static ActivitySource Ambient { get; } = new(AmbientName);

        public IReadOnlyList<Activity> Stopped
        {
            get
            {
                lock (_stopped)
                {
                    return [.. _stopped];
                }
            }
        }

        public async Task<Activity> WaitForAsync(ActivityKind kind, CancellationToken cancellationToken, Func<Activity, bool>? filter = null)
        {
            while (true)
            {
                lock (_stopped)
                {
                    if (_stopped.FirstOrDefault(a => a.Kind == kind && (filter is null || filter(a))) is { } found)
                    {
                        return found;
                    }
                }

                await _signal.WaitAsync(cancellationToken);
            }
        }

        public void Dispose()
        {
            _listener.Dispose();
            _signal.Dispose();
        }
    }
}
