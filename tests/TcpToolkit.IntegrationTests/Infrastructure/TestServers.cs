using System.Buffers;
using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests;

/// <summary>Starts servers on loopback port 0 and provides the handlers the tests share.</summary>
internal static class TestServers
{
    public static async Task<TcpServer> StartAsync(
        ConnectionHandler handler,
        Action<TcpServerOptions>? configure = null,
        EndPoint? endPoint = null)
    {
        var options = new TcpServerOptions { EndPoints = { endPoint ?? new IPEndPoint(IPAddress.Loopback, 0) } };
        configure?.Invoke(options);
        var server = new TcpServer(options, handler);
        await server.StartAsync(TestContext.Current.CancellationToken);
        return server;
    }

    /// <summary>Connects a plain .NET socket to <paramref name="server"/>: a peer with no TcpToolkit code in it.</summary>
    public static async Task<System.Net.Sockets.Socket> ConnectPeerAsync(TcpServer server)
    {
        var peer = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await peer.ConnectAsync(server.LocalEndPoint, TestContext.Current.CancellationToken);
        return peer;
    }

    /// <summary>Echoes every byte until the peer's FIN, then returns (the server then closes gracefully).</summary>
    public static async Task EchoAsync(Connection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await connection.Input.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                connection.Output.Write(segment.Span);
            }

            connection.Input.AdvanceTo(result.Buffer.End);
            await connection.Output.FlushAsync(cancellationToken);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Reads until EOF and returns everything that arrived.</summary>
    public static async Task<byte[]> ReadToEndAsync(Connection connection, CancellationToken cancellationToken)
    {
        var received = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await connection.Input.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            connection.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return received.WrittenSpan.ToArray();
            }
        }
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A token that fires after the default test timeout, so no wait in a test is unbounded.</summary>
    public static CancellationToken Timeout()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TestTimeouts.Default);
        return source.Token;
    }
}
