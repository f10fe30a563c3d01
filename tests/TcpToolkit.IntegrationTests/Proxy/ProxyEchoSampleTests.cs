using System.Net.Sockets;
using System.Text;
using TcpToolkit.Samples.EchoServer;

namespace TcpToolkit.IntegrationTests.Proxy;

/// <summary>The EchoServer sample behind a load balancer: <c>--proxy-protocol</c> and <c>--trusted-proxy</c>.</summary>
public sealed class ProxyEchoSampleTests
{
    [Fact]
    public async Task EchoServer_ProxyProtocol_PrintsTheClientFromTheHeaderAndEchoes()
    {
        var ct = TestServers.Timeout();
        await using var server = await StartAsync(["--proxy-protocol"], ct);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint, ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 127.0.0.1 5555 65432\r\nhello"), SocketFlags.None, ct);
        socket.Shutdown(SocketShutdown.Send);
        var echoed = await ReadToEndAsync(socket, ct);

        Encoding.ASCII.GetString(echoed).Should().Be("hello");
        await server.Output.Lines.WaitForLinesAsync(line => line == "Connected by ('203.0.113.7', 5555)", 1, ct);
    }

    [Fact]
    public async Task EchoServer_TrustedProxyElsewhere_RefusesLoopbackAndKeepsRunning()
    {
        var ct = TestServers.Timeout();
        await using var server = await StartAsync(["--proxy-protocol", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.168.0.0/16"], ct);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var received = await ConnectAndReadToEndOrResetAsync(socket, server.EndPoint, ct);

        received.Should().BeEmpty("127.0.0.1 is not a trusted proxy: closed before a byte is read");
        server.Output.ToString().Should().NotContain("Connected by");
        (await server.StopAsync()).Should().Be(0, "the refusal cost that connection only: the sample still runs and stops cleanly at Ctrl+C");
    }

    [Fact]
    public async Task EchoServer_BadTrustedProxy_ExplainsAndExits()
    {
        var output = new SynchronizedStringWriter();

        var exitCode = await EchoServerApp.RunAsync(["--port", "0", "--proxy-protocol", "--trusted-proxy", "not-a-network"], output, listening: null, TestServers.Timeout());

        exitCode.Should().Be(1);
        output.ToString().Should().Contain("Not a network in CIDR notation: not-a-network");
    }

    private static async Task<SampleServer> StartAsync(string[] extra, CancellationToken ct) =>
        await SampleServer.StartAsync((args, stdout, listening, token) =>
            EchoServerApp.RunAsync(["--host", "127.0.0.1", "--port", "0", .. extra], stdout, listening, token));

    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken ct)
    {
        using var all = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    private static async Task<byte[]> ConnectAndReadToEndOrResetAsync(Socket socket, System.Net.EndPoint server, CancellationToken ct)
    {
        try
        {
            // The refusal can be so quick that the reset reaches the client while its connect completes.
            await socket.ConnectAsync(server, ct);
            return await ReadToEndAsync(socket, ct);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The server may reset rather than close: either way the connection ends without data.
            return [];
        }
    }
}
