using System.Net;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Tls;
using Socket = System.Net.Sockets.Socket;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>
/// The handshake timeout on both sides, on real sockets with a fake clock: the test waits until the middleware armed
/// its timer, then advances time, so nothing sleeps and nothing races.
/// </summary>
public sealed class TlsHandshakeTimeoutTests
{
    private const int HandshakeTimedOut = 702;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Server_ClientNeverSendsAHello_AbortedAtTheTimeoutWhileAnotherClientIsServed()
    {
        var ct = TestServers.Timeout();
        var clock = new ObservableTimeProvider();
        var events = new EventSignalLoggerProvider();
        var tls = TlsTesting.ServerOptions();
        tls.HandshakeTimeout = Timeout;
        tls.TimeProvider = clock;
        tls.LoggerFactory = events;
        var firstClosed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        var accepted = 0;
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                Interlocked.Increment(ref handled);
                return TestServers.EchoAsync(connection, stopping);
            },
            options =>
            {
                // Outside TLS: remembers how the first connection (the silent one) closed.
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

        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(server.LocalEndPoint, ct);
        await clock.WaitForTimerAsync(Timeout, ct);

        // Another client is served while the silent one waits (its own handshake arms a timer too, never reached).
        await using (var client = TlsTesting.CreateClient(TlsTesting.ClientOptions()))
        await using (var connection = await client.ConnectAsync(server.LocalEndPoint, ct))
        {
            (await TlsTesting.EchoAsync(connection, "served"u8.ToArray(), ct)).Should().Equal("served"u8.ToArray());
        }

        firstClosed.Task.IsCompleted.Should().BeFalse("the silent client is within its handshake time");
        clock.Fake.Advance(Timeout);

        (await firstClosed.Task.WaitAsync(ct)).Should().Be(CloseReason.MiddlewareError);
        (await ReceiveUntilClosedAsync(silent, ct)).Should().BeTrue("the server closed the silent client's connection");
        await events.WaitForAsync(HandshakeTimedOut, 1).WaitAsync(ct);
        Volatile.Read(ref handled).Should().Be(1, "only the client that completed a handshake reached the handler");
    }

    [Fact]
    public async Task Client_ServerNeverAnswers_ConnectAsyncThrowsTlsHandshakeExceptionWithATimeout()
    {
        var ct = TestServers.Timeout();
        var clock = new ObservableTimeProvider();
        using var mute = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        mute.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        mute.Listen();
        var tls = TlsTesting.ClientOptions();
        tls.HandshakeTimeout = Timeout;
        tls.TimeProvider = clock;
        await using var client = TlsTesting.CreateClient(tls);

        var connect = client.ConnectAsync(mute.LocalEndPoint!, ct);
        using var accepted = await mute.AcceptAsync(ct);
        await clock.WaitForTimerAsync(Timeout, ct);
        clock.Fake.Advance(Timeout);
        var act = async () => await connect.WaitAsync(ct);

        var thrown = await act.Should().ThrowAsync<TlsHandshakeException>();
        thrown.Which.InnerException.Should().BeOfType<TimeoutException>();
        thrown.Which.Message.Should().Contain("timed out after 5 s");
        (await ReceiveUntilClosedAsync(accepted, ct)).Should().BeTrue("the client aborted the connection");
    }

    /// <summary>Reads and discards until the peer closes (FIN or reset); true once it has.</summary>
    private static async Task<bool> ReceiveUntilClosedAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The abort's reset.
        }

        return true;
    }
}
