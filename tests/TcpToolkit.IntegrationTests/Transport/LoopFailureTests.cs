using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TcpToolkit.IntegrationTests.Scheduling;
using TcpToolkit.Transport.Internal;
using TcpToolkit.Transport.Internal.Epoll;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>
/// The epoll engine never takes the process down (issue #11, no Environment.FailFast): a loop whose
/// <c>epoll_wait</c> fails aborts its own connections and takes no new ones, and a continuation that throws out of a
/// wake-up aborts only its connection. Private loops (<see cref="EngineHooks"/>), so no other test is touched; the
/// engine's events are read, so the class runs alone.
/// </summary>
[Collection(EngineLogCapture.Name)]
public sealed class LoopFailureTests
{
    private const int LoopFailedEvent = 402;
    private const int ContinuationFaultedEvent = 403;

    [Fact]
    public async Task EpollWaitFails_ItsConnectionsAreAbortedAndNewOnesUseTheOtherLoopThenDotNetsEngine()
    {
        Assert.SkipUnless(EpollLoop.IsSupported, "Needs TcpToolkit's epoll engine (Linux).");
        var ct = TestServers.Timeout();
        var log = new EngineEventLog();
        using var capture = EngineLogCapture.Capture(log);
        var loops = EpollLoopGroup.Create(2, "TcpToolkit epoll failing test", BusyPollMode.Adaptive)!;
        var started = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstClosed = new TaskCompletionSource<EndPoint?>(TaskCreationOptions.RunContinuationsAsynchronously);
        EngineHooks.Current = new EngineHooks { Loops = loops };
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            connection.ConnectionClosed.Register(() => firstClosed.TrySetResult(connection.RemoteEndPoint));
            if (Interlocked.Increment(ref started) == 2)
            {
                bothStarted.TrySetResult();
            }

            await TestServers.EchoAsync(connection, stopping);
        });
        EngineHooks.Current = null;

        // Round-robin: one connection on each loop.
        using var first = await ConnectAsync(server, ct);
        using var second = await ConnectAsync(server, ct);
        await bothStarted.Task.WaitAsync(ct);
        loops.Loops.Select(l => l.RegisteredCount).Should().Equal(1, 1);

        // Break loop 0 for real: its epoll descriptor becomes /dev/null, so its next epoll_wait fails with EINVAL.
        // The wait it is blocked in still returns events, so a byte on each connection wakes it.
        // A loop that was polling rather than blocked fails at its next epoll_wait without a byte, and may abort its
        // connection before the test's byte goes out: a reset on that send is the expected outcome, not a failure.
        BreakEpollDescriptor(loops.Loops[0]);
        await SendUnlessResetAsync(first, 7, ct);
        await SendUnlessResetAsync(second, 7, ct);
        await log.WaitForAsync(LoopFailedEvent, 1).WaitAsync(ct);
        loops.Loops[0].IsFailed.Should().BeTrue();

        // The connection on the failed loop is aborted; the other one echoes on.
        var aborted = await firstClosed.Task.WaitAsync(ct);
        var survivor = first.LocalEndPoint!.Equals(aborted) ? second : first;
        (await BlockingHandlerTests.ReadByteAsync(survivor, ct)).Should().Be(7);
        await EchoOneByteAsync(survivor, ct);

        // New connections go to the loop that still runs...
        using (var third = await ConnectAsync(server, ct))
        {
            await EchoOneByteAsync(third, ct);
            loops.Loops[1].RegisteredCount.Should().Be(2);
        }

        // ...and once no loop is left, to .NET's engine.
        BreakEpollDescriptor(loops.Loops[1]);
        await survivor.SendAsync(new byte[] { 9 }, SocketFlags.None, ct);
        await log.WaitForAsync(LoopFailedEvent, 2).WaitAsync(ct);
        loops.TryNext(out _).Should().BeFalse();
        using var fourth = await ConnectAsync(server, ct);
        await EchoOneByteAsync(fourth, ct);
    }

    private static async Task SendUnlessResetAsync(Socket socket, byte value, CancellationToken ct)
    {
        try
        {
            await socket.SendAsync(new[] { value }, SocketFlags.None, ct);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The connection's loop failed first and aborted it; the test then checks it was the failed loop's.
        }
    }

    [Fact]
    public async Task ContinuationThrowsOutOfItsWakeUp_OnlyItsConnectionIsAbortedAndTheLoopServesOn()
    {
        Assert.SkipUnless(EpollLoop.IsSupported, "Needs TcpToolkit's epoll engine (Linux).");
        var ct = TestServers.Timeout();
        var log = new EngineEventLog();
        using var capture = EngineLogCapture.Capture(log);
        var loop = EpollLoopGroup.Create(1, "TcpToolkit epoll throwing test", BusyPollMode.Adaptive)!.Loops[0];
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var (faultyPeer, faultySide) = await PairAsync(listener, ct);
        var (healthyPeer, healthySide) = await PairAsync(listener, ct);
        var faulty = new EpollSocketIO(faultySide, loop);
        var healthy = new EpollSocketIO(healthySide, loop);
        try
        {
            // A continuation that throws when the loop wakes it (the pumps' own never do; user code could).
#pragma warning disable CA2012 // A raw continuation on the wait, on purpose: the point is one that throws.
            faulty.ReceiveAsync(Memory<byte>.Empty).GetAwaiter().OnCompleted(() => throw new InvalidOperationException("Injected."));
#pragma warning restore CA2012
            await faultyPeer.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
            await log.WaitForAsync(ContinuationFaultedEvent, 1).WaitAsync(ct);

            faulty.Invoking(io => io.ReceiveAsync(new byte[1])).Should().Throw<ConnectionAbortedException>();
            await healthyPeer.SendAsync(new byte[] { 2 }, SocketFlags.None, ct);
            await healthy.ReceiveAsync(Memory<byte>.Empty).AsTask().WaitAsync(ct);
            var buffer = new byte[1];
            (await healthy.ReceiveAsync(buffer)).Should().Be(1);
            buffer[0].Should().Be(2);
        }
        finally
        {
            faulty.Close();
            healthy.Close();
            foreach (var socket in new[] { faultyPeer, faultySide, healthyPeer, healthySide })
            {
                socket.Dispose();
            }
        }
    }

    private static async Task<(Socket Peer, Socket Accepted)> PairAsync(Socket listener, CancellationToken ct)
    {
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listener.LocalEndPoint!, ct);
        return (peer, await listener.AcceptAsync(ct));
    }

    private static void BreakEpollDescriptor(EpollLoop loop)
    {
        using var devNull = File.OpenHandle("/dev/null");
        Dup2((int)devNull.DangerousGetHandle(), loop.EpollFd).Should().Be(loop.EpollFd, "dup2 must replace the epoll descriptor");
    }

    private static async Task<Socket> ConnectAsync(TcpServer server, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        return socket;
    }

    private static async Task EchoOneByteAsync(Socket socket, CancellationToken ct)
    {
        await socket.SendAsync(new byte[] { 7 }, SocketFlags.None, ct);
        (await BlockingHandlerTests.ReadByteAsync(socket, ct)).Should().Be(7);
    }

    // DllImport rather than LibraryImport: the source generator needs unsafe code, which this project does not allow.
    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int oldFd, int newFd);
}
