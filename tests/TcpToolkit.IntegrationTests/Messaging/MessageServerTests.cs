using TcpToolkit.Connections;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>The server side of the protocol against raw peers: hello, pings, protocol errors, shutdown of handlers; over both transports.</summary>
public sealed class MessageServerTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_Hello_AnsweredWithVersionAndTheAnnouncedLimits(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask, new MessageServerOptions
        {
            MaxFrameLength = 4096,
            MaxRequestsInFlightPerConnection = 7,
            MaxBufferedBytesPerConnection = 9000,
            ClientPingInterval = TimeSpan.FromSeconds(3),
        });
        await using var connection = await harness.ConnectAsync(ct);

        var ack = await RawPeer.ConnectHelloAsync(connection, ct);

        ack.Hello.Should().Be(new HelloFields(1, 4096, 7, 9000, 3000));
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_PingFromPeer_AnsweredWithPongOfSameId(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask);
        await using var connection = await harness.ConnectAsync(ct);
        await RawPeer.ConnectHelloAsync(connection, ct);

        await connection.SendAsync(RawPeer.Simple(FrameKind.Ping, 42), ct);

        var pong = await RawPeer.ReadFrameAsync(connection, ct);
        pong!.Kind.Should().Be(FrameKind.Pong);
        pong.Id.Should().Be(42UL);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_PeerSendsAResponseKindFirst_ConnectionClosedAsProtocolError(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask);
        await using var connection = await harness.ConnectAsync(ct);
        var serverSide = await harness.NextConnectionAsync(ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serverSide.ConnectionClosed.Register(closed.SetResult);

        await connection.SendAsync(RawPeer.Simple(FrameKind.Response, 1), ct);

        await closed.Task.WaitAsync(ct);
        serverSide.CloseReason.Should().Be(CloseReason.ProtocolError);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_ProtocolErrorWhileAHandlerRuns_HandlerTokenFiresAndSessionEnds(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await MessagingHarness.StartAsync(transport, async (_, cancellationToken) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            finally
            {
                cancelled.SetResult();
            }
        });
        await using var connection = await harness.ConnectAsync(ct);
        var serverSide = await harness.NextConnectionAsync(ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serverSide.ConnectionClosed.Register(closed.SetResult);
        await RawPeer.ConnectHelloAsync(connection, ct);

        await connection.SendAsync(RawPeer.Request(1, "x", [9]), ct);
        await started.Task.WaitAsync(ct);
        await connection.SendAsync(new byte[] { 0, 0, 0, 10, 99, 0, 0, 0, 0, 0, 0, 0, 0, 2 }, ct);

        await cancelled.Task.WaitAsync(ct);
        await closed.Task.WaitAsync(ct);
        serverSide.CloseReason.Should().Be(CloseReason.ProtocolError);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_UnknownMethodWithoutFallback_UnknownMethodError(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var server = new MessageServer().Map("known", (_, _) => ValueTask.CompletedTask);
        await using var host = await TestHost.StartAsync(transport, server.HandleConnectionAsync);
        await using var connection = await host.ConnectAsync(ct);
        await RawPeer.ConnectHelloAsync(connection, ct);

        await connection.SendAsync(RawPeer.Request(5, "unknown", []), ct);

        var error = await RawPeer.ReadFrameAsync(connection, ct);
        error!.Kind.Should().Be(FrameKind.Error);
        error.Id.Should().Be(5UL);
        error.ErrorCode.Should().Be(MessageErrorCode.UnknownMethod);
    }
}
