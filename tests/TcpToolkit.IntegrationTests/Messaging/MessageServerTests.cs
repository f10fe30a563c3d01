using TcpToolkit.Connections;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>The server side of the envelope protocol against raw peers: pings, protocol errors, shutdown of handlers; over both transports.</summary>
public sealed class MessageServerTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_PingFromPeer_AnsweredWithPongOfSameId(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask);
        await using var connection = await harness.ConnectAsync(ct);

        await connection.SendAsync(new byte[] { 0, 0, 0, 5, 6, 0, 0, 0, 42 }, ct);

        (await ReadExactlyAsync(connection, 9, ct)).Should().Equal(0, 0, 0, 5, 7, 0, 0, 0, 42);
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task HandleConnectionAsync_PeerSendsAResponseKind_ConnectionClosedAsProtocolError(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var harness = await MessagingHarness.StartAsync(transport, (_, _) => ValueTask.CompletedTask);
        await using var connection = await harness.ConnectAsync(ct);
        var serverSide = await harness.NextConnectionAsync(ct);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serverSide.ConnectionClosed.Register(closed.SetResult);

        await connection.SendAsync(new byte[] { 0, 0, 0, 5, 2, 0, 0, 0, 1 }, ct);

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

        await connection.SendAsync(new byte[] { 0, 0, 0, 6, 1, 0, 0, 0, 1, 9 }, ct);
        await started.Task.WaitAsync(ct);
        await connection.SendAsync(new byte[] { 0, 0, 0, 5, 99, 0, 0, 0, 2 }, ct);

        await cancelled.Task.WaitAsync(ct);
        await closed.Task.WaitAsync(ct);
        serverSide.CloseReason.Should().Be(CloseReason.ProtocolError);
    }

    private static async Task<byte[]> ReadExactlyAsync(Connection connection, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        var total = 0;
        while (total < count)
        {
            var read = await connection.ReceiveAsync(buffer.AsMemory(total), ct);
            read.Should().BePositive();
            total += read;
        }

        return buffer;
    }
}
