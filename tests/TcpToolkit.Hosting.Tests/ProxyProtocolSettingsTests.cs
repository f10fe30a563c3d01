using System.Net.Sockets;
using System.Text;

namespace TcpToolkit.Hosting.Tests;

/// <summary>The PROXY protocol from configuration: required header, trusted proxies.</summary>
public sealed class ProxyProtocolSettingsTests
{
    [Fact]
    public async Task ProxyProtocol_Enabled_TheHandlerSeesTheClientFromTheHeader()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0", ["TcpServer:ProxyProtocol:Enabled"] = "true" },
            server => server.UseHandler(async (connection, token) =>
                await connection.SendAsync(Encoding.ASCII.GetBytes(connection.RemoteEndPoint!.ToString()!), token)));
        await host.StartAsync(ct);

        using var socket = await TestHosts.ConnectAsync(host.TcpServer().LocalEndPoints[0], ct);
        await socket.SendAsync("PROXY TCP4 203.0.113.7 127.0.0.1 5555 65432\r\n"u8.ToArray(), SocketFlags.None, ct);

        (await TestHosts.ReadToEndOrResetAsync(socket, ct)).Should().Be("203.0.113.7:5555");
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task ProxyProtocol_TrustedProxiesElsewhere_LoopbackIsRefusedBeforeTheHandler()
    {
        var ct = TestTimeouts.Token();
        var handled = false;
        using var host = TestHosts.Build(
            new Dictionary<string, string?>
            {
                ["TcpServer:EndPoints:0"] = "127.0.0.1:0",
                ["TcpServer:ProxyProtocol:Enabled"] = "true",
                ["TcpServer:ProxyProtocol:TrustedProxies:0"] = "10.0.0.0/8",
            },
            server => server.UseHandler((_, _) =>
            {
                handled = true;
                return Task.CompletedTask;
            }));
        await host.StartAsync(ct);

        // The refusal comes before a byte is read: nothing to send.
        using var socket = await TestHosts.ConnectAsync(host.TcpServer().LocalEndPoints[0], ct);
        var received = await TestHosts.ReadToEndOrResetAsync(socket, ct);

        received.Should().BeEmpty();
        await host.StopAsync(ct);
        handled.Should().BeFalse("127.0.0.1 is not among the configured trusted proxies");
    }
}
