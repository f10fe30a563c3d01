using System.Net;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;
using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// The transport on both socket engines: TcpToolkit's epoll loops (the default on Linux, which the rest of the suite
/// runs on) and .NET's socket engine (the fallback elsewhere), with the edge cases an edge-triggered engine can get
/// wrong: data and FIN in one wake-up, a full socket buffer, an abort or a reset while a loop waits.
/// </summary>
public sealed class SocketEngineTests
{
    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Fact]
    public void OnLinux_TheEpollEngineRuns()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "The epoll engine exists on Linux only.");

        EpollLoop.IsSupported.Should().BeTrue("the suite must exercise TcpToolkit's own engine on Linux");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Echo_SizesFromOneByteToFourMiB_RoundTrip(string engine)
    {
        var ct = TestServers.Timeout();
        await using var server = await StartAsync(engine, TestServers.EchoAsync);
        await using var client = NewClient(engine);

        foreach (var size in (int[])[1, 100, 16 * 1024, 32 * 1024, 100_000, 4 * 1024 * 1024])
        {
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            var payload = TestServers.RandomBytes(size, seed: size);
            var echoed = TestServers.ReadToEndAsync(connection, ct);
            await connection.SendAsync(payload, ct);
            await connection.Output.CompleteAsync();

            (await echoed).Should().Equal(payload, $"{size} bytes must come back intact");
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task PeersSendAndCloseAtOnce_ServerSeesEveryByteThenEof(string engine)
    {
        // A raw socket that sends and shuts down at once: data and FIN usually sit in the socket together before the
        // server's loop looks, so one edge announces both. The server must still see the FIN after the data.
        var ct = TestServers.Timeout();
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            var received = await TestServers.ReadToEndAsync(connection, stopping);
            await connection.SendAsync(BitConverter.GetBytes(received.Length), stopping);
        });

        var peers = Enumerable.Range(0, 100).Select(async i =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.LocalEndPoint, ct);
            var payload = TestServers.RandomBytes(1 + (i * 37), seed: i);
            await socket.SendAsync(payload, SocketFlags.None, ct);
            socket.Shutdown(SocketShutdown.Send);

            var reply = new byte[4];
            var total = 0;
            while (total < reply.Length)
            {
                var read = await socket.ReceiveAsync(reply.AsMemory(total), SocketFlags.None, ct);
                read.Should().BePositive("the server answers only after it saw the FIN");
                total += read;
            }

            BitConverter.ToInt32(reply).Should().Be(payload.Length);
        });

        await Task.WhenAll(peers);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task PeerReadsLate_FullSocketBuffer_EveryByteArrivesInOrder(string engine)
    {
        // 16 MiB is far more than the kernel buffers hold, so sends come back partial and wait for room.
        var ct = TestServers.Timeout();
        var payload = TestServers.RandomBytes(16 * 1024 * 1024, seed: 7);
        var backpressure = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            for (var offset = 0; offset < payload.Length; offset += 64 * 1024)
            {
                var flush = connection.Output.WriteAsync(payload.AsMemory(offset, Math.Min(64 * 1024, payload.Length - offset)), stopping);
                if (!flush.IsCompleted)
                {
                    // The socket is full and the write buffer too: the send loop waits for room.
                    backpressure.TrySetResult();
                }

                await flush;
            }

            await connection.Output.CompleteAsync();
        });
        await using var client = NewClient(engine);
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        // Read nothing until every buffer on the way is full.
        await backpressure.Task.WaitAsync(ct);
        var received = await TestServers.ReadToEndAsync(connection, ct);

        received.Should().Equal(payload);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task AbortWhileTheReceiveLoopWaits_PendingReadFailsWithConnectionAbortedException(string engine)
    {
        var ct = TestServers.Timeout();
        await using var server = await StartAsync(engine, (connection, stopping) => Task.Delay(Timeout.Infinite, stopping));
        await using var client = NewClient(engine);
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var read = connection.Input.ReadAsync(ct).AsTask();

        connection.Abort("test");

        await read.Invoking(r => r.WaitAsync(ct)).Should().ThrowAsync<ConnectionAbortedException>();
        connection.CloseReason.Should().Be(CloseReason.LocalAbort);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task PeerResetsWhileTheReceiveLoopWaits_PendingReadFailsWithConnectionResetException(string engine)
    {
        var ct = TestServers.Timeout();
        var serverRead = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            try
            {
                var reading = connection.Input.ReadAsync(stopping);
                accepted.TrySetResult();
                await reading;
                serverRead.TrySetResult(null);
            }
            catch (Exception ex)
            {
                serverRead.TrySetResult(ex);
            }
        });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        await accepted.Task.WaitAsync(ct);

        socket.LingerState = new LingerOption(enable: true, seconds: 0);
        socket.Close();

        (await serverRead.Task.WaitAsync(ct)).Should().BeOfType<ConnectionResetException>();
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task ConnectToAClosedPort_FailsWithConnectionRefused(string engine)
    {
        var ct = TestServers.Timeout();
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        await using var client = NewClient(engine);
        var result = await client.TryConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);

        result.Connection.Should().BeNull();
        result.SocketError.Should().Be(SocketError.ConnectionRefused);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Connect_EndpointsAreKnownOnBothSides(string engine)
    {
        var ct = TestServers.Timeout();
        var serverSide = new TaskCompletionSource<(EndPoint? Local, EndPoint? Remote)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, (connection, _) =>
        {
            serverSide.TrySetResult((connection.LocalEndPoint, connection.RemoteEndPoint));
            return Task.CompletedTask;
        });
        await using var client = NewClient(engine);
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        var (serverLocal, serverRemote) = await serverSide.Task.WaitAsync(ct);
        connection.RemoteEndPoint.Should().Be(serverLocal);
        connection.LocalEndPoint.Should().Be(serverRemote);
    }

    private static Task<TcpServer> StartAsync(string engine, ConnectionHandler handler)
        => TestServers.StartAsync(handler, options => options.UseDotNetSocketEngine = engine == "dotnet");

    private static TcpClient NewClient(string engine) => new(new TcpClientOptions { UseDotNetSocketEngine = engine == "dotnet" });
}
