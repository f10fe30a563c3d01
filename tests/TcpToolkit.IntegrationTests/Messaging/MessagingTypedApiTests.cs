using System.Text.Json.Serialization;
using System.Threading.Channels;
using TcpToolkit.Messaging;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>The typed API over both transports: routes, the JSON serializer seam, server-to-client requests, metadata, hooks.</summary>
public sealed class MessagingTypedApiTests
{
    private static readonly JsonMessageSerializer s_json = new(TypedTestJson.Default);

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_TypedRoutes_EachMethodReachesItsHandler(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var server = new MessageServer(new MessageServerOptions { Serializer = s_json })
            .Map<AddRequest, SumReply>("add", (request, _, _) => ValueTask.FromResult(new SumReply(request.A + request.B)))
            .Map<AddRequest, SumReply>("multiply", (request, _, _) => ValueTask.FromResult(new SumReply(request.A * request.B)));
        await using var host = await TestHost.StartAsync(transport, server.HandleConnectionAsync);
        await using var client = new MessageClient(host.EndPoint, new MessageClientOptions { ConnectionFactory = host.ClientFactory, Serializer = s_json });
        await client.StartAsync(ct);

        (await client.SendRequestAsync<AddRequest, SumReply>("add", new AddRequest(3, 4), cancellationToken: ct)).Should().Be(new SumReply(7));
        (await client.SendRequestAsync<AddRequest, SumReply>("multiply", new AddRequest(3, 4), cancellationToken: ct)).Should().Be(new SumReply(12));
        var unknown = await client.Invoking(c => c.SendRequestAsync<AddRequest, SumReply>("divide", new AddRequest(3, 4), cancellationToken: ct).AsTask())
            .Should().ThrowAsync<RemoteErrorException>();
        unknown.Which.ErrorCode.Should().Be(MessageErrorCode.UnknownMethod);
        var invalid = await client.Invoking(c => c.SendRequestAsync("add", "not json"u8.ToArray(), ct).AsTask()).Should().ThrowAsync<RemoteErrorException>();
        invalid.Which.ErrorCode.Should().Be(MessageErrorCode.InvalidRequest);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SessionSendRequestAsync_ServerAsksTheClient_ClientHandlerAnswers(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var sessions = Channel.CreateUnbounded<MessageSession>();
        var server = new MessageServer(new MessageServerOptions
        {
            Serializer = s_json,
            SessionStarted = (session, _) =>
            {
                sessions.Writer.TryWrite(session);
                return ValueTask.CompletedTask;
            },
        });
        await using var host = await TestHost.StartAsync(transport, server.HandleConnectionAsync);
        await using var client = new MessageClient(host.EndPoint, new MessageClientOptions
        {
            ConnectionFactory = host.ClientFactory,
            Serializer = s_json,
            Handler = (request, _) =>
            {
                var add = request.ReadPayload<AddRequest>();
                request.WriteReply(new SumReply(add.A + add.B));
                return ValueTask.CompletedTask;
            },
        });
        await client.StartAsync(ct);
        var session = await sessions.Reader.ReadAsync(ct);

        var reply = await session.SendRequestAsync<AddRequest, SumReply>("client.add", new AddRequest(20, 22), new RequestOptions { Timeout = TimeSpan.FromSeconds(5) }, ct);

        reply.Should().Be(new SumReply(42));
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendRequestAsync_MetadataAndHelloMetadata_ReachTheServer(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var seen = new TaskCompletionSource<(string Trace, string Token)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(transport, (request, _) =>
        {
            seen.TrySetResult((request.Metadata["traceparent"], request.Session.RemoteMetadata["token"]));
            return ValueTask.CompletedTask;
        });
        await using var client = harness.CreateClient(new MessageClientOptions { HelloMetadata = new Dictionary<string, string> { ["token"] = "s3cret" } });
        await client.StartAsync(ct);

        using var reply = await client.SendRequestAsync(
            "traced",
            ReadOnlyMemory<byte>.Empty,
            new RequestOptions { Metadata = new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } },
            ct);

        (await seen.Task.WaitAsync(ct)).Should().Be(("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "s3cret"));
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task Connected_RunsAfterEachConnectBeforeQueuedRequestsFlow(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var order = Channel.CreateUnbounded<string>();
        var started = 0;
        var ended = 0;
        var endedSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(
            transport,
            (request, _) =>
            {
                order.Writer.TryWrite(request.Method);
                return ValueTask.CompletedTask;
            },
            new MessageServerOptions
            {
                SessionStarted = (_, _) =>
                {
                    Interlocked.Increment(ref started);
                    return ValueTask.CompletedTask;
                },
                SessionEnded = _ =>
                {
                    Interlocked.Increment(ref ended);
                    endedSignal.TrySetResult();
                    return ValueTask.CompletedTask;
                },
            });
        var releaseHook = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hookEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = harness.CreateClient(new MessageClientOptions
        {
            Connected = async (session, cancellationToken) =>
            {
                hookEntered.TrySetResult();
                await releaseHook.Task.WaitAsync(cancellationToken);
                (await session.SendRequestAsync("authenticate", ReadOnlyMemory<byte>.Empty, cancellationToken: cancellationToken)).Dispose();
            },
        });

        var start = client.StartAsync(ct);
        await hookEntered.Task.WaitAsync(ct);
        var queued = client.SendRequestAsync("work", ReadOnlyMemory<byte>.Empty, ct).AsTask(); // waits for the connection
        releaseHook.SetResult();
        await start.WaitAsync(ct);
        (await queued.WaitAsync(ct)).Dispose();

        (await order.Reader.ReadAsync(ct)).Should().Be("authenticate");
        (await order.Reader.ReadAsync(ct)).Should().Be("work");
        await client.DisposeAsync();
        await endedSignal.Task.WaitAsync(ct);
        started.Should().Be(1);
        ended.Should().Be(1);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SendMessageAsync_TypedOneWay_ReadWithTheSerializer(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var received = new TaskCompletionSource<AddRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = new MessageServer(new MessageServerOptions { Serializer = s_json })
            .Map("note", (message, _) =>
            {
                received.TrySetResult(message.ReadPayload<AddRequest>());
                return ValueTask.CompletedTask;
            });
        await using var host = await TestHost.StartAsync(transport, server.HandleConnectionAsync);
        await using var client = new MessageClient(host.EndPoint, new MessageClientOptions { ConnectionFactory = host.ClientFactory, Serializer = s_json });
        await client.StartAsync(ct);

        await client.SendMessageAsync("note", new AddRequest(1, 2), ct);

        (await received.Task.WaitAsync(ct)).Should().Be(new AddRequest(1, 2));
    }
}

/// <summary>A request of the typed tests.</summary>
public sealed record AddRequest(int A, int B);

/// <summary>A reply of the typed tests.</summary>
public sealed record SumReply(int Sum);

/// <summary>Source-generated JSON type information of the typed tests.</summary>
[JsonSerializable(typeof(AddRequest))]
[JsonSerializable(typeof(SumReply))]
internal sealed partial class TypedTestJson : JsonSerializerContext;
