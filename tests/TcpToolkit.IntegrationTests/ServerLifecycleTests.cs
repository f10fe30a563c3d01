using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests;

public sealed class ServerLifecycleTests
{
    [Fact]
    public async Task MaxConnections_ExtraConnection_IsClosedAtOnceAndServerKeepsServing()
    {
        var ct = TestServers.Timeout();
        var firstClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() => firstClosed.TrySetResult());
                await TestServers.EchoAsync(connection, stopping);
            },
            options => options.MaxConnections = 1);
        await using var client = new TcpClient();

        await using var first = await client.ConnectAsync(server.LocalEndPoint, ct);
        await first.SendAsync("one"u8.ToArray(), ct);
        (await ReadExactlyAsync(first, 3, ct)).Should().Equal("one"u8.ToArray());

        // The extra connection is accepted by the OS, then closed by the server without a byte.
        await using var extra = await client.ConnectAsync(server.LocalEndPoint, ct);
        (await ReadToEndOrResetAsync(extra, ct)).Should().BeEmpty();
        server.RejectedConnectionCount.Should().Be(1);

        // The first connection is unaffected, and once it is gone a new one is served.
        await first.SendAsync("two"u8.ToArray(), ct);
        (await ReadExactlyAsync(first, 3, ct)).Should().Equal("two"u8.ToArray());
        await first.Output.CompleteAsync();
        (await TestServers.ReadToEndAsync(first, ct)).Should().BeEmpty();
        await firstClosed.Task.WaitAsync(ct);
        server.ConnectionCount.Should().Be(0);

        await using var next = await client.ConnectAsync(server.LocalEndPoint, ct);
        await next.SendAsync("three"u8.ToArray(), ct);
        await next.Output.CompleteAsync();
        (await TestServers.ReadToEndAsync(next, ct)).Should().Equal("three"u8.ToArray());
    }

    [Fact]
    public async Task Handler_Throws_OnlyItsConnectionClosesAndErrorIsLogged()
    {
        var ct = TestServers.Timeout();
        using var loggerFactory = new LoggerFactory();
        var collector = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(collector));
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                var result = await connection.Input.ReadAsync(stopping);
                var first = result.Buffer.FirstSpan[0];
                connection.Input.AdvanceTo(result.Buffer.Start);
                if (first == (byte)'!')
                {
                    throw new InvalidOperationException("handler bug");
                }

                await TestServers.EchoAsync(connection, stopping);
            },
            options => options.LoggerFactory = loggerFactory);
        await using var client = new TcpClient();

        await using var healthy = await client.ConnectAsync(server.LocalEndPoint, ct);
        await healthy.SendAsync("ok"u8.ToArray(), ct);
        (await ReadExactlyAsync(healthy, 2, ct)).Should().Equal("ok"u8.ToArray());

        await using var faulty = await client.ConnectAsync(server.LocalEndPoint, ct);
        await faulty.SendAsync("!"u8.ToArray(), ct);
        (await ReadToEndOrResetAsync(faulty, ct)).Should().BeEmpty();

        await healthy.SendAsync("still"u8.ToArray(), ct);
        (await ReadExactlyAsync(healthy, 5, ct)).Should().Equal("still"u8.ToArray());
        await using var later = await client.ConnectAsync(server.LocalEndPoint, ct);
        await later.SendAsync("later"u8.ToArray(), ct);
        await later.Output.CompleteAsync();
        (await TestServers.ReadToEndAsync(later, ct)).Should().Equal("later"u8.ToArray());

        collector.GetSnapshot().Should().Contain(r => r.Id.Id == 5 && r.Level == LogLevel.Error && r.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task StopAsync_DrainsHandlerThatFinishesAndAbortsOneThatDoesNot_WithinTimeout()
    {
        var ct = TestServers.Timeout();
        var time = new ObservableTimeProvider();
        var shutdownTimeout = TimeSpan.FromSeconds(7); // distinct from the 5 s CloseTimeout, whose timers it must not be mistaken for
        var politeStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var politeDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stubbornStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stubbornError = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                var result = await connection.Input.ReadAsync(stopping);
                var polite = result.Buffer.FirstSpan[0] == (byte)'p';
                connection.Input.AdvanceTo(result.Buffer.End);
                if (polite)
                {
                    connection.ConnectionClosed.Register(() => politeDone.TrySetResult());
                    politeStarted.SetResult();

                    // Honours the stop signal: says goodbye and returns.
                    await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    await connection.SendAsync("bye"u8.ToArray(), CancellationToken.None);
                    return;
                }

                stubbornStarted.SetResult();
                try
                {
                    // Ignores the stop signal: waits for bytes that never come.
                    await connection.Input.ReadAsync(CancellationToken.None);
                }
                catch (Exception ex)
                {
                    stubbornError.SetResult(ex);
                    throw;
                }
            },
            options =>
            {
                options.ShutdownTimeout = shutdownTimeout;
                options.TimeProvider = time;
            });
        await using var client = new TcpClient();
        await using var polite = await client.ConnectAsync(server.LocalEndPoint, ct);
        await using var stubborn = await client.ConnectAsync(server.LocalEndPoint, ct);
        await polite.SendAsync("p"u8.ToArray(), ct);
        await stubborn.SendAsync("s"u8.ToArray(), ct);
        await Task.WhenAll(politeStarted.Task, stubbornStarted.Task).WaitAsync(ct);

        var stop = server.StopAsync(ct);
        await time.WaitForTimerAsync(shutdownTimeout, ct);
        await politeDone.Task.WaitAsync(ct);
        stop.IsCompleted.Should().BeFalse("the stubborn handler holds the stop until the shutdown timeout");
        time.Fake.Advance(shutdownTimeout);
        var result = await stop.WaitAsync(ct);

        result.Should().Be(new ServerStopResult(DrainedConnections: 1, AbortedConnections: 1));
        (await TestServers.ReadToEndAsync(polite, ct)).Should().Equal("bye"u8.ToArray());
        (await stubbornError.Task.WaitAsync(ct)).Should().BeOfType<ConnectionAbortedException>();
        (await ReadToEndOrResetAsync(stubborn, ct)).Should().BeEmpty();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task StartAsync_SecondEndPointInUse_ThrowsNamingItAndReleasesTheFirst()
    {
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupier.Listen();
        var taken = (IPEndPoint)occupier.LocalEndPoint!;
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var free = (IPEndPoint)probe.LocalEndPoint!;
        probe.Close();

        var options = new TcpServerOptions { EndPoints = { free, taken } };
        await using var server = new TcpServer(options, TestServers.EchoAsync);

        var start = () => server.StartAsync(TestContext.Current.CancellationToken);

        var error = (await start.Should().ThrowAsync<TcpBindException>()).Which;
        error.EndPoint.Should().Be(taken);
        error.SocketError.Should().Be(SocketError.AddressAlreadyInUse);
        error.Message.Should().Contain(taken.ToString());

        // Rolled back: the first endpoint is free again.
        using var rebind = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var bindAgain = () => rebind.Bind(free);
        bindAgain.Should().NotThrow();
    }

    [Fact]
    public async Task AcceptLoopDies_LogsCriticalAndStopAsyncFaultsInsteadOfHanging()
    {
        var ct = TestServers.Timeout();
        using var loggerFactory = new LoggerFactory();
        var collector = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(collector));
        var server = await TestServers.StartAsync(TestServers.EchoAsync, options => options.LoggerFactory = loggerFactory);
        var died = WaitForEventAsync(collector, eventId: 4, ct);

        // Fault injection without a production seam: close the listening socket under the accept loop, which is
        // not a transient accept error and not a stop.
        var listeners = (List<Socket>)typeof(TcpServer)
            .GetField("_listeners", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(server)!;
        listeners[0].Dispose();
        await died;

        var stop = () => server.StopAsync(ct);

        (await stop.Should().ThrowAsync<IOException>().WaitAsync(ct)).Which.InnerException.Should().NotBeNull();
        collector.GetSnapshot().Should().Contain(r => r.Id.Id == 4 && r.Level == LogLevel.Critical);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_CalledTwice_IsIdempotent()
    {
        var server = await TestServers.StartAsync(TestServers.EchoAsync);

        await server.DisposeAsync();
        var again = async () => await server.DisposeAsync();

        await again.Should().NotThrowAsync();
    }

    [Fact]
    public void Options_InvalidValues_AreRejected()
    {
        var options = new TcpServerOptions();

        ((Action)(() => options.MaxConnections = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxReadBufferSize = -1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.Backlog = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.ShutdownTimeout = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        options.MaxReadBufferSize = null;
        options.MaxReadBufferSize.Should().BeNull("null means unlimited");
    }

    private static async Task WaitForEventAsync(FakeLogCollector collector, int eventId, CancellationToken ct)
    {
        // The collector streams records as they are written: a signal, not a poll.
        await foreach (var record in collector.GetLogsAsync(ct))
        {
            if (record.Id.Id == eventId)
            {
                return;
            }
        }
    }

    internal static async Task<byte[]> ReadExactlyAsync(Connection connection, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await connection.ReceiveAsync(buffer.AsMemory(read), ct);
            n.Should().BePositive("the peer must not close before {0} bytes arrived", count);
            read += n;
        }

        return buffer;
    }

    /// <summary>A connection the server closes may end in FIN or, if bytes were unread, RST: both mean "closed, nothing sent".</summary>
    internal static async Task<byte[]> ReadToEndOrResetAsync(Connection connection, CancellationToken ct)
    {
        try
        {
            return await TestServers.ReadToEndAsync(connection, ct);
        }
        catch (ConnectionResetException)
        {
            return [];
        }
    }
}
