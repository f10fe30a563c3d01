using System.Net;
using System.Net.Sockets;
using System.Text;
using TcpToolkit.Connections;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Connections;

/// <summary>Connection middleware over real loopback sockets, on the server (server-wide and per endpoint) and the client.</summary>
public sealed class MiddlewareTests
{
    private const byte Key = 0x5A;

    [Fact]
    public async Task ServerMiddleware_XorLayer_TransformsTheBytesOnTheWire()
    {
        var ct = TestContext.Current.CancellationToken;
        var layer = new XorLayer(Key);
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, options => options.Middleware.Use(layer.Middleware));

        // A plain socket speaks the XOR-ed wire format: what it sends is decoded by the layer, echoed, encoded again.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        var plain = Encoding.ASCII.GetBytes("hello through a layer");
        await socket.SendAsync(Xor(plain), ct);
        socket.Shutdown(SocketShutdown.Send);
        var received = await ReadToEndAsync(socket, ct);

        received.Should().Equal(Xor(plain), "the echo went through the layer both ways");
        layer.BytesIn.Should().Be(plain.Length);
    }

    [Fact]
    public async Task ClientAndServerMiddleware_SameLayer_ApplicationSeesPlainBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var serverLayer = new XorLayer(Key);
        var clientLayer = new XorLayer(Key);
        var serverSaw = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                var buffer = new byte[64];
                var read = await connection.ReceiveAsync(buffer, stopping);
                serverSaw.TrySetResult(Encoding.ASCII.GetString(buffer, 0, read));
                await connection.SendAsync(buffer.AsMemory(0, read), stopping);
            },
            options => options.Middleware.Use(serverLayer.Middleware));

        var clientOptions = new TcpClientOptions();
        clientOptions.Middleware.Use(clientLayer.Middleware);
        await using var client = new TcpClient(clientOptions);
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await connection.SendAsync("ping"u8.ToArray(), ct);
        var buffer = new byte[64];
        var read = await connection.ReceiveAsync(buffer, ct).AsTask().WaitAsync(TestTimeouts.Default, ct);

        Encoding.ASCII.GetString(buffer, 0, read).Should().Be("ping");
        (await serverSaw.Task.WaitAsync(TestTimeouts.Default, ct)).Should().Be("ping");
        clientLayer.BytesOut.Should().Be(4);
        clientLayer.BytesIn.Should().Be(4);
    }

    [Fact]
    public async Task ClientMiddleware_CloseAsync_FlushesThroughTheLayerThenSendsFin()
    {
        var ct = TestContext.Current.CancellationToken;
        var serverLayer = new XorLayer(Key);
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                var all = new MemoryStream();
                var buffer = new byte[4096];
                int read;
                while ((read = await connection.ReceiveAsync(buffer, stopping)) > 0)
                {
                    all.Write(buffer, 0, read);
                }

                received.TrySetResult(all.ToArray());
            },
            options => options.Middleware.Use(serverLayer.Middleware));

        var clientOptions = new TcpClientOptions();
        clientOptions.Middleware.Use(new XorLayer(Key).Middleware);
        await using var client = new TcpClient(clientOptions);
        var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);
        await connection.SendAsync(payload, ct);
        await connection.CloseAsync(ct);

        (await received.Task.WaitAsync(TestTimeouts.Default, ct)).Should().Equal(payload, "every byte is flushed through the layer before the FIN");
        connection.CloseReason.Should().Be(CloseReason.LocalClose);
    }

    [Fact]
    public async Task Listen_EndpointMiddleware_AppliesToItsEndpointOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 0) } };
        options.Listen(new IPEndPoint(IPAddress.Loopback, 0), endpoint => endpoint.Use(new XorLayer(Key).Middleware));
        await using var server = new TcpServer(options, TestServers.EchoAsync);
        await server.StartAsync(ct);

        var plain = "abc"u8.ToArray();
        (await EchoOverSocketAsync(server.LocalEndPoints[0], plain, ct)).Should().Equal(plain, "the first endpoint has no middleware");
        (await EchoOverSocketAsync(server.LocalEndPoints[1], Xor(plain), ct)).Should().Equal(Xor(plain), "the second one XORs");
    }

    [Fact]
    public async Task Middleware_Order_FirstAddedIsOutermost()
    {
        var ct = TestContext.Current.CancellationToken;
        var order = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 0) } };
        options.Middleware
            .Use(next => async (c, t) => { order.Add("server-wide in"); await next(c, t); order.Add("server-wide out"); done.TrySetResult(); });
        options.Listen(new IPEndPoint(IPAddress.Loopback, 0), endpoint => endpoint.Use(next => async (c, t) => { order.Add("endpoint in"); await next(c, t); order.Add("endpoint out"); }));
        options.EndPoints.RemoveAt(0);
        await using var server = new TcpServer(options, (c, t) => { order.Add("handler"); return Task.CompletedTask; });
        await server.StartAsync(ct);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        await done.Task.WaitAsync(TestTimeouts.Default, ct);

        order.Should().Equal("server-wide in", "endpoint in", "handler", "endpoint out", "server-wide out");
    }

    [Fact]
    public async Task ClientMiddleware_Throws_ConnectFailsAndTheConnectionIsAborted()
    {
        var ct = TestContext.Current.CancellationToken;
        var serverSawReset = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            try
            {
                var buffer = new byte[16];
                while (await connection.ReceiveAsync(buffer, stopping) > 0)
                {
                }

                serverSawReset.TrySetResult(null);
            }
            catch (ConnectionResetException ex)
            {
                serverSawReset.TrySetResult(ex);
            }
        });

        var clientOptions = new TcpClientOptions();
        clientOptions.Middleware.Use(_ => (_, _) => throw new InvalidOperationException("handshake refused"));
        await using var client = new TcpClient(clientOptions);

        var connect = () => client.ConnectAsync(server.LocalEndPoint, ct);

        await connect.Should().ThrowAsync<InvalidOperationException>().WithMessage("handshake refused");
        (await serverSawReset.Task.WaitAsync(TestTimeouts.Default, ct)).Should().BeOfType<ConnectionResetException>("the client aborted the connection");
    }

    [Fact]
    public async Task Features_SetByMiddleware_VisibleToTheHandler()
    {
        var ct = TestContext.Current.CancellationToken;
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            (connection, _) =>
            {
                seen.TrySetResult(connection.GetFeature<Tag>()?.Value);
                return Task.CompletedTask;
            },
            options => options.Middleware.Use(next => (connection, t) =>
            {
                connection.SetFeature(new Tag("set by middleware"));
                return next(connection, t);
            }));

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint, ct);

        (await seen.Task.WaitAsync(TestTimeouts.Default, ct)).Should().Be("set by middleware");
    }

    private static byte[] Xor(byte[] data) => data.Select(b => (byte)(b ^ Key)).ToArray();

    private static async Task<byte[]> EchoOverSocketAsync(EndPoint endPoint, byte[] data, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, ct);
        await socket.SendAsync(data, ct);
        socket.Shutdown(SocketShutdown.Send);
        return await ReadToEndAsync(socket, ct);
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken ct)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, ct).AsTask().WaitAsync(TestTimeouts.Default, ct)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    private sealed record Tag(string Value);
}
