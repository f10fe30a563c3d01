using System.Net.Sockets;
using TcpToolkit.Transport.Internal;
using TcpToolkit.Transport.Internal.Epoll;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>
/// A failure while one connection is set up (the engine refusing the socket, <c>epoll_ctl</c> failing with ENOSPC or
/// ENOMEM, the connection's constructor throwing) costs that connection only: the socket and its engine registration
/// are released, a server frees the connection's slot and keeps accepting. Failures are injected through
/// <see cref="EngineHooks"/>, an internal test seam.
/// </summary>
public sealed class ConnectionSetupFaultTests
{
    private static readonly Lazy<EpollLoopGroup?> s_loops = new(() => EpollLoopGroup.Create(1, "TcpToolkit epoll setup-fault test", BusyPollMode.Adaptive));

    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task AcceptedSocketCannotBeRegistered_ConnectionIsDroppedLoggedAndTheServerKeepsAccepting(string engine)
    {
        var ct = TestServers.Timeout();
        var failNext = 1;
        EngineHooks.Current = new EngineHooks
        {
            CreatingSocketIO = _ =>
            {
                if (Interlocked.Exchange(ref failNext, 0) == 1)
                {
                    throw new SocketException((int)SocketError.NoBufferSpaceAvailable);
                }
            },
        };
        var log = new EventSignalLoggerProvider();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, options =>
        {
            options.UseDotNetSocketEngine = engine == "dotnet";
            options.LoggerFactory = log;

            // One slot: the next connection is served only if the failed one gave its slot back.
            options.MaxConnections = 1;
        });
        EngineHooks.Current = null;

        using (var dropped = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await dropped.ConnectAsync(server.LocalEndPoint, ct);
            await log.WaitForAsync(eventId: 11, count: 1).WaitAsync(ct);
            var buffer = new byte[1];
            var read = await ReceiveOrResetAsync(dropped, buffer, ct);
            read.Should().Be(0, "the server closed the connection it could not set up");
        }

        server.ConnectionCount.Should().Be(0);
        await using var client = new TcpClient();
        await using var served = await client.ConnectAsync(server.LocalEndPoint, ct);
        await served.SendAsync("still serving"u8.ToArray(), ct);
        await served.Output.CompleteAsync();
        (await TestServers.ReadToEndAsync(served, ct)).Should().Equal("still serving"u8.ToArray());
        log.Count(4).Should().Be(0, "the accept loop did not die");
        server.RejectedConnectionCount.Should().Be(0);
    }

    [Fact]
    public async Task ServerConnectionConstructorThrows_RegistrationAndSocketAreReleased()
    {
        var loops = RequireLoops();
        var ct = TestServers.Timeout();
        var failNext = 1;
        Socket? failed = null;
        EngineHooks.Current = new EngineHooks
        {
            Loops = loops,
            ConnectionStarting = socket =>
            {
                if (Interlocked.Exchange(ref failNext, 0) == 1)
                {
                    failed = socket;
                    throw new InvalidOperationException("Injected failure in the connection's constructor.");
                }
            },
        };
        var log = new EventSignalLoggerProvider();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, options => options.LoggerFactory = log);
        EngineHooks.Current = null;

        using (var dropped = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await dropped.ConnectAsync(server.LocalEndPoint, ct);
            await log.WaitForAsync(eventId: 11, count: 1).WaitAsync(ct);
            (await ReceiveOrResetAsync(dropped, new byte[1], ct)).Should().Be(0);
        }

        failed!.SafeHandle.IsClosed.Should().BeTrue("the server disposes the socket it could not set up");
        loops.Loops[0].RegisteredCount.Should().Be(0, "the engine registration is released");
        server.ConnectionCount.Should().Be(0);
    }

    [Fact]
    public async Task ClientConnectSucceedsThenSetupThrows_RegistrationAndSocketAreReleased()
    {
        var loops = RequireLoops();
        var ct = TestServers.Timeout();
        var serverSawEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            try
            {
                await TestServers.ReadToEndAsync(connection, stopping);
            }
            finally
            {
                serverSawEnd.TrySetResult();
            }
        });
        Socket? failed = null;
        EngineHooks.Current = new EngineHooks
        {
            Loops = loops,
            ConnectionStarting = socket =>
            {
                failed = socket;
                throw new InvalidOperationException("Injected failure after the connect succeeded.");
            },
        };
        await using var client = new TcpClient();
        EngineHooks.Current = null;

        await client.Invoking(c => c.ConnectAsync(server.LocalEndPoint, ct)).Should().ThrowAsync<InvalidOperationException>();

        failed.Should().NotBeNull("the connect itself succeeded");
        failed!.SafeHandle.IsClosed.Should().BeTrue("the socket is disposed");
        loops.Loops[0].RegisteredCount.Should().Be(0, "the epoll registration is released");
        await serverSawEnd.Task.WaitAsync(ct);
    }

    private static EpollLoopGroup RequireLoops()
    {
        Assert.SkipUnless(EpollLoop.IsSupported, "Needs TcpToolkit's epoll engine (Linux).");
        return s_loops.Value ?? throw new InvalidOperationException("The epoll loops could not be created.");
    }

    private static async Task<int> ReceiveOrResetAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with pending data or by an abort: also a closed connection.
            return 0;
        }
    }
}
