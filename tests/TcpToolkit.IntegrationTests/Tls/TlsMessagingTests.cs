using System.Buffers;
using System.Net;
using System.Text;
using TcpToolkit.Messaging;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>TcpToolkit.Messaging over TLS: the message server behind the server middleware, the resilient client with client middleware.</summary>
public sealed class TlsMessagingTests
{
    [Fact]
    public async Task SendRequestAsync_OverTls_RepliesAndPushesArriveAndTheServerSeesTls()
    {
        var ct = TestServers.Timeout();
        var sawTls = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var messages = new MessageServer(
            async (request, cancellationToken) =>
            {
                await request.Session.SendOneWayAsync("push", "pushed"u8.ToArray(), cancellationToken);
                request.Reply.Write("re: "u8);
                request.Reply.Write(request.Payload.Span);
            },
            new MessageServerOptions { MaxConcurrentRequestsPerConnection = 4 });
        await using var server = await TlsTesting.StartServerAsync(
            (connection, stopping) =>
            {
                sawTls.TrySetResult(connection.GetFeature<TlsConnectionInfo>() is not null);
                return messages.HandleConnectionAsync(connection, stopping);
            },
            TlsTesting.ServerOptions());
        var pushes = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new TcpClientOptions();
        transport.Middleware.UseTls(TlsTesting.ClientOptions());
        var options = new MessageClientOptions
        {
            Transport = transport,
            Handler = (message, _) =>
            {
                pushes.TrySetResult(Encoding.ASCII.GetString(message.Payload.Span));
                return ValueTask.CompletedTask;
            },
        };
        await using var client = new MessageClient((IPEndPoint)server.LocalEndPoint, options);
        await client.StartAsync(ct);

        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var reply = await client.SendRequestAsync("echo", Encoding.ASCII.GetBytes("request " + i), ct);
            return Encoding.ASCII.GetString(reply.Payload.Span);
        }));

        replies.Should().Equal(Enumerable.Range(0, 20).Select(i => "re: request " + i));
        (await pushes.Task.WaitAsync(ct)).Should().Be("pushed");
        (await sawTls.Task.WaitAsync(ct)).Should().BeTrue();
    }
}
