using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpClient = TcpToolkit.Transport.TcpClient;
using static TcpToolkit.IntegrationTests.ServerLifecycleTests;

namespace TcpToolkit.IntegrationTests;

public sealed class ConnectionTests
{
    [Fact]
    public async Task ClientResetMidStream_ServerSeesConnectionResetException_OthersUnaffected()
    {
        var ct = TestServers.Timeout();
        var serverError = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverClosed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            connection.ConnectionClosed.Register(() => serverClosed.TrySetResult(connection.CloseReason));
            try
            {
                await TestServers.EchoAsync(connection, stopping);
            }
            catch (Exception ex)
            {
                serverError.TrySetResult(ex);
                throw;
            }
        });
        await using var client = new TcpClient();
        await using var bystander = await client.ConnectAsync(server.LocalEndPoint, ct);

        // A raw socket, so the test controls the reset: linger 0 makes Close send RST.
        using (var resetter = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await resetter.ConnectAsync(server.LocalEndPoint, ct);
            await resetter.SendAsync("partial frame"u8.ToArray(), SocketFlags.None, ct);
            var echo = new byte[13];
            await resetter.ReceiveAsync(echo, SocketFlags.None, ct);
            resetter.LingerState = new LingerOption(true, 0);
            resetter.Close();
        }

        (await serverError.Task.WaitAsync(ct)).Should().BeOfType<ConnectionResetException>();
        (await serverClosed.Task.WaitAsync(ct)).Should().Be(CloseReason.RemoteReset);
        await bystander.SendAsync("unaffected"u8.ToArray(), ct);
        (await ReadExactlyAsync(bystander, 10, ct)).Should().Equal("unaffected"u8.ToArray());
    }

    [Fact]
    public async Task HalfClose_ClientCompletesOutput_ServerSeesEofAndCanStillSend()
    {
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            // Reads everything up to the client's FIN, then answers with the count.
            var all = await TestServers.ReadToEndAsync(connection, stopping);
            await connection.SendAsync(System.Text.Encoding.ASCII.GetBytes($"got {all.Length}"), stopping);
        });
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        await connection.SendAsync(new byte[5000], ct);
        await connection.Output.CompleteAsync();

        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("got 5000"u8.ToArray());
    }

    [Fact]
    public async Task HalfClose_ServerCompletesOutput_ClientSeesEofAndCanStillSend()
    {
        var ct = TestServers.Timeout();
        var serverReceived = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            await connection.SendAsync("server done"u8.ToArray(), stopping);
            await connection.Output.CompleteAsync();
            serverReceived.SetResult(await TestServers.ReadToEndAsync(connection, stopping));
        });
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("server done"u8.ToArray());
        await connection.SendAsync("client still talking"u8.ToArray(), ct);
        await connection.Output.CompleteAsync();

        (await serverReceived.Task.WaitAsync(ct)).Should().Equal("client still talking"u8.ToArray());
    }

    [Fact]
    public async Task Abort_PendingReadFailsWithConnectionAborted_AndPeerSeesReset()
    {
        var ct = TestServers.Timeout();
        var serverConnection = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            serverConnection.SetResult(connection);
            await TestServers.ReadToEndAsync(connection, stopping);
        });
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var pendingRead = connection.Input.ReadAsync(ct).AsTask();

        connection.Abort("test abort");

        await pendingRead.Awaiting(t => t).Should().ThrowAsync<ConnectionAbortedException>();
        connection.CloseReason.Should().Be(CloseReason.LocalAbort);
        connection.ConnectionClosed.IsCancellationRequested.Should().BeTrue();
        var peer = await serverConnection.Task.WaitAsync(ct);
        var peerClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = peer.ConnectionClosed.Register(() => peerClosed.TrySetResult());
        await peerClosed.Task.WaitAsync(ct);
        peer.ConnectionClosed.IsCancellationRequested.Should().BeTrue();
        peer.CloseReason.Should().Be(CloseReason.RemoteReset);
    }

    [Fact]
    public async Task SendAndReceive_GuideStyle_RoundTrip()
    {
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync);
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        await connection.SendAsync("Hello, world"u8.ToArray(), ct);
        var buffer = new byte[1024];
        var received = 0;
        while (received < 12)
        {
            received += await connection.ReceiveAsync(buffer.AsMemory(received), ct);
        }

        buffer.AsSpan(0, received).ToArray().Should().Equal("Hello, world"u8.ToArray());
        await connection.CloseAsync(ct);
        connection.CloseReason.Should().Be(CloseReason.LocalClose);
        (await connection.ReceiveAsync(buffer, ct).AsTask().Awaiting(t => t).Should().ThrowAsync<InvalidOperationException>())
            .Which.Should().NotBeNull("reading after the close is a usage error");
    }
}
