using System.Net.Sockets;
using TcpToolkit.Transport.Internal;
using TcpToolkit.Transport.Internal.Epoll;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Issue #11, server side: a handler that blocks the thread its continuation runs on (on Linux, an I/O loop serving
/// many connections) must not stall the other connections, and sync-over-async must not deadlock them. Default
/// options, real loopback sockets, both socket engines; the pingers are raw .NET sockets, so only the server is measured.
/// </summary>
[Collection(RoundTripLatency.Name)]
public sealed class BlockingHandlerTests
{
    private const int PingerCount = 16;

    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task HandlerBlocksTwoSeconds_NoOtherRoundTripTakesOver100Ms(string engine)
    {
        var ct = TestServers.Timeout();
        var block = new TriggeredBlock();

        // Thread.Sleep is the point of the test: user code that blocks the thread it was resumed on.
        await using var server = await StartAsync(engine, block.Handler((_, _) => Thread.Sleep(TimeSpan.FromSeconds(2))));
        using var blocker = await ConnectBlockerAsync(server, block, ct);
        await using var pingers = await Pingers.StartRawAsync(server.LocalEndPoint, PingerCount, ct);

        await blocker.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        var thread = await block.Started.WaitAsync(ct);
        var roundTripsBefore = pingers.RoundTrips;
        await block.Ended.WaitAsync(ct);
        var roundTripsDuring = pingers.RoundTrips - roundTripsBefore;
        await pingers.StopAfterCurrentRoundsAsync(ct);

        SchedulingFigures.Report("handler blocks 2 s", engine, pingers, thread);
        SchedulingFigures.ShouldBeLoopThreadFor(engine, thread);
        pingers.MaxRoundTrip.Should().BeLessThan(pingers.RoundTripBound, "one blocked handler must not hold the other connections of its I/O loop");
        roundTripsDuring.Should().BeGreaterThan(PingerCount * 10, "the pingers keep going while the handler blocks");
        (await ReadByteAsync(blocker, ct)).Should().Be((byte)'E', "the blocked handler goes on afterwards");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task HandlerWaitsSynchronouslyForItsOwnNextRead_OtherConnectionsRunAndTheStopReleasesIt(string engine)
    {
        var ct = TestServers.Timeout();
        var block = new TriggeredBlock();

        // Sync-over-async on its own input, on the thread that delivered its bytes. That connection cannot get its
        // next bytes: its receive loop is the caller, below on the same stack (the pipes resume the handler inline,
        // as with Kestrel's inline scheduling). The other connections of the loop must not notice, and the stop
        // signal (the read's token) releases it.
        var server = await StartAsync(engine, block.Handler((connection, stopping) =>
        {
            var next = connection.Input.ReadAsync(stopping).AsTask().GetAwaiter().GetResult();
            connection.Input.AdvanceTo(next.Buffer.End);
        }));
        using var blocker = await ConnectBlockerAsync(server, block, ct);
        await using var pingers = await Pingers.StartRawAsync(server.LocalEndPoint, PingerCount, ct);

        await blocker.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        var thread = await block.Started.WaitAsync(ct);
        var roundTripsBefore = pingers.RoundTrips;

        // A deadlocked loop would hold half of the pingers for ever; here each goes on, 20 round trips at least.
        await pingers.CompleteRoundTripsAsync(20).WaitAsync(ct);
        var roundTripsDuring = pingers.RoundTrips - roundTripsBefore;
        await pingers.StopAfterCurrentRoundsAsync(ct);
        block.Ended.IsCompleted.Should().BeFalse("the handler still waits");

        var stopped = await server.StopAsync(ct);
        await block.Ended.WaitAsync(ct);
        await server.DisposeAsync();

        SchedulingFigures.Report("handler waits synchronously for its own read", engine, pingers, thread);
        SchedulingFigures.ShouldBeLoopThreadFor(engine, thread);
        pingers.MaxRoundTrip.Should().BeLessThan(pingers.RoundTripBound);
        roundTripsDuring.Should().BeGreaterThanOrEqualTo(PingerCount * 20);
        (stopped.DrainedConnections + stopped.AbortedConnections).Should().Be(PingerCount + 1);
    }

    [Fact]
    public async Task HandlerWaitsSynchronouslyForAnotherConnectionOnTheSameLoop_NoDeadlock()
    {
        Assert.SkipUnless(EpollLoop.IsSupported, "Needs TcpToolkit's epoll engine (Linux).");
        var ct = TestServers.Timeout();

        // One private loop: both connections are certainly on it.
        EngineHooks.Current = new EngineHooks { Loops = SchedulingLoops.Single };
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var block = new TriggeredBlock();
        var waiter = block.Handler((_, _) => gate.Task.GetAwaiter().GetResult());
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            var first = await connection.Input.ReadAsync(stopping);
            if (first.Buffer.FirstSpan[0] == (byte)'O')
            {
                // The other connection: it opens the gate when its byte arrives, on the same loop.
                connection.Input.AdvanceTo(first.Buffer.End);
                gate.TrySetResult();
                await connection.Output.WriteAsync("O"u8.ToArray(), stopping);
                return;
            }

            // The blocking connection: hand it over unread.
            connection.Input.AdvanceTo(first.Buffer.Start);
            await waiter(connection, stopping);
        });
        using var blocker = await ConnectBlockerAsync(server, block, ct);
        using var opener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await opener.ConnectAsync(server.LocalEndPoint, ct);

        await blocker.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        var thread = await block.Started.WaitAsync(ct);
        await opener.SendAsync("O"u8.ToArray(), SocketFlags.None, ct);

        (await ReadByteAsync(opener, ct)).Should().Be((byte)'O');
        await block.Ended.WaitAsync(ct);
        (await ReadByteAsync(blocker, ct)).Should().Be((byte)'E');
        thread.Should().StartWith("TcpToolkit epoll");
    }

    private static Task<TcpServer> StartAsync(string engine, ConnectionHandler handler)
        => TestServers.StartAsync(handler, options => options.UseDotNetSocketEngine = engine == "dotnet");

    private static async Task<Socket> ConnectBlockerAsync(TcpServer server, TriggeredBlock block, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        await socket.SendAsync(new[] { TriggeredBlock.Marker }, SocketFlags.None, ct);
        await block.Ready.WaitAsync(ct);
        return socket;
    }

    internal static async Task<byte> ReadByteAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[1];
        (await socket.ReceiveAsync(buffer, SocketFlags.None, ct)).Should().Be(1);
        return buffer[0];
    }
}
