using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests;

public sealed class ClientConnectTests
{
    [Fact]
    public async Task ConnectAsync_NobodyListens_FailsFastWithConnectionRefused()
    {
        using var bound = BoundButNotListening(out var endPoint);
        await using var client = new TcpClient();
        var watch = Stopwatch.StartNew();

        var connect = () => client.ConnectAsync(endPoint, TestContext.Current.CancellationToken);

        var error = (await connect.Should().ThrowAsync<TcpConnectException>()).Which;
        error.SocketError.Should().Be(SocketError.ConnectionRefused);
        error.RemoteEndPoint.Should().Be(endPoint);
        error.Message.Should().Contain(endPoint.ToString()).And.Contain("ConnectionRefused");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task TryConnectAsync_NobodyListens_ReturnsConnectionRefused()
    {
        using var bound = BoundButNotListening(out var endPoint);
        await using var client = new TcpClient();

        var result = await client.TryConnectAsync(endPoint, TestContext.Current.CancellationToken);

        result.IsConnected.Should().BeFalse();
        result.Connection.Should().BeNull();
        result.SocketError.Should().Be(SocketError.ConnectionRefused);
    }

    [Fact]
    public async Task TryConnectAsync_Listening_ReturnsConnection()
    {
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync);
        await using var client = new TcpClient();

        var result = await client.TryConnectAsync("localhost", ((IPEndPoint)server.LocalEndPoint).Port, ct);

        result.IsConnected.Should().BeTrue();
        result.SocketError.Should().Be(SocketError.Success);
        await result.Connection!.DisposeAsync();
    }

    [Fact]
    public async Task ConnectAsync_Cancelled_ThrowsOperationCanceledPromptly()
    {
        using var full = FullBacklog(out var endPoint, out var fillers);
        await using var client = new TcpClient(new TcpClientOptions { ConnectTimeout = Timeout.InfiniteTimeSpan });
        using var cancel = new CancellationTokenSource();

        var connect = client.ConnectAsync(endPoint, cancel.Token);
        connect.IsCompleted.Should().BeFalse("the listener's backlog is full, so the handshake cannot complete");
        await cancel.CancelAsync();

        await connect.Awaiting(t => t).Should().ThrowAsync<OperationCanceledException>().WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        DisposeAll(fillers);
    }

    [Fact]
    public async Task ConnectAsync_TimeoutExpires_ThrowsTimedOut()
    {
        using var full = FullBacklog(out var endPoint, out var fillers);
        await using var client = new TcpClient(new TcpClientOptions { ConnectTimeout = TimeSpan.FromMilliseconds(200) });

        var connect = () => client.ConnectAsync(endPoint, TestContext.Current.CancellationToken);

        (await connect.Should().ThrowAsync<TcpConnectException>().WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken)).Which.SocketError.Should().Be(SocketError.TimedOut);
        DisposeAll(fillers);
    }

    [Fact]
    public async Task ConnectAsync_AlreadyCancelledToken_Throws()
    {
        await using var client = new TcpClient();
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await cancelled.CancelAsync();

        var connect = () => client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 9), cancelled.Token);

        await connect.Should().ThrowAsync<OperationCanceledException>();
    }

    private static Socket BoundButNotListening(out IPEndPoint endPoint)
    {
        // Bound but not listening: the kernel answers SYN with RST, and no other test can take the port meanwhile.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        endPoint = (IPEndPoint)socket.LocalEndPoint!;
        return socket;
    }

    private static Socket FullBacklog(out IPEndPoint endPoint, out List<Socket> fillers)
    {
        // A listener that never accepts, with its accept queue full: Linux drops further SYNs, so a connect hangs.
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        endPoint = (IPEndPoint)listener.LocalEndPoint!;
        fillers = [];
        for (var i = 0; i < 8; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var pending = filler.ConnectAsync(endPoint, TestContext.Current.CancellationToken).AsTask();
            fillers.Add(filler);
            if (!pending.Wait(TimeSpan.FromMilliseconds(200)))
            {
                // This one hangs: the queue is full.
                break;
            }
        }

        return listener;
    }

    private static void DisposeAll(List<Socket> sockets)
    {
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
    }
}
