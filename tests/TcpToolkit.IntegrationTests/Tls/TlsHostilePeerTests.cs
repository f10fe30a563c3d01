using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Tls;
using Socket = System.Net.Sockets.Socket;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>Peers that do not speak TLS: only their connection closes, the reason is recorded and logged, never as an Error.</summary>
public sealed class TlsHostilePeerTests
{
    private const int HandshakeFailed = 701;

    [Fact]
    public async Task Server_PeerSendsPlaintext_AbortedWithMiddlewareErrorLoggedAtDebugAndTheServerKeepsServing()
    {
        var ct = TestServers.Timeout();
        using var loggerFactory = new LoggerFactory();
        var collector = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(collector));
        var events = new EventSignalLoggerProvider();
        loggerFactory.AddProvider(events);
        var tls = TlsTesting.ServerOptions();
        tls.LoggerFactory = loggerFactory;
        var firstClosed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = 0;
        var handled = 0;
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                Interlocked.Increment(ref handled);
                return TestServers.EchoAsync(connection, stopping);
            },
            options =>
            {
                options.Middleware.Use(next => (connection, stopping) =>
                {
                    if (Interlocked.Increment(ref accepted) == 1)
                    {
                        connection.ConnectionClosed.Register(() => firstClosed.TrySetResult(connection.CloseReason));
                    }

                    return next(connection, stopping);
                });
                options.Middleware.UseTls(tls);
            });

        using (var plaintext = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await plaintext.ConnectAsync(server.LocalEndPoint, ct);
            await plaintext.SendAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray(), ct);

            (await firstClosed.Task.WaitAsync(ct)).Should().Be(CloseReason.MiddlewareError);
        }

        await events.WaitForAsync(HandshakeFailed, 1).WaitAsync(ct);
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        (await TlsTesting.EchoAsync(connection, "after the noise"u8.ToArray(), ct)).Should().Equal("after the noise"u8.ToArray());

        Volatile.Read(ref handled).Should().Be(1, "the plaintext peer never reached the handler");
        var failure = collector.GetSnapshot().Single(r => r.Id.Id == HandshakeFailed);
        failure.Level.Should().Be(LogLevel.Debug, "a peer's fault is never logged as an Error");
        failure.Message.Should().Contain("TLS handshake failed");
        collector.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Warning);
    }
}
