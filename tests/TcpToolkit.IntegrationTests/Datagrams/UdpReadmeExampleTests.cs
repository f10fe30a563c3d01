using System.Net;
using System.Text;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>The code of the README's "Datagrams (UDP)" section, kept compiling and working (Console.Out swapped for a writer).</summary>
public sealed class UdpReadmeExampleTests
{
    [Fact]
    public async Task ReadmeExample_EchoServerAndClient_PrintsTheReply()
    {
        var console = new SynchronizedStringWriter();

        // The README's code as it stands, so without the test's cancellation token.
#pragma warning disable xUnit1051
        // ---- README: from here ----
        // A server: every datagram back to its sender. No listen, no accept: one socket serves every peer.
        await using var server = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var echo = Task.Run(async () =>
        {
            await foreach (var datagram in server.ReadAllAsync())   // ends when the server is disposed
            {
                await server.SendToAsync(datagram.Payload, datagram.RemoteEndPoint);
            }
        });

        // A client: one datagram out, one back or none (UDP does not retransmit), so wait with a timeout.
        await using var client = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendToAsync("Hello, world"u8.ToArray(), server.LocalEndPoint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await foreach (var reply in client.ReadAllAsync(timeout.Token))
        {
            console.WriteLine($"Received {Encoding.UTF8.GetString(reply.Payload.Span)} from {reply.RemoteEndPoint}");
            break;
        }

        // ---- README: to here ----
#pragma warning restore xUnit1051
        await server.DisposeAsync();
        await echo.WaitAsync(TestServers.Timeout());
        console.ToString().Should().Be($"Received Hello, world from {server.LocalEndPoint}{Environment.NewLine}");
    }
}
