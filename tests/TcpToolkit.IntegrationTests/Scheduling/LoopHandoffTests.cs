using System.Buffers;
using System.Net.Sockets;
using TcpToolkit.Transport.Internal;
using TcpToolkit.Transport.Internal.Epoll;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// The epoll engine's watchdog and handoff (issue #11): a loop kept by one callback for more than a few milliseconds is
/// handed to a new thread, which goes on with the events already fetched; the handoff is logged as a warning, at most
/// once per interval; no event is lost or delivered twice. Private loops, so the figures are this test's own.
/// </summary>
[Collection(EngineLogCapture.Name)]
public sealed class LoopHandoffTests
{
    private const int LoopHandedOffEvent = 400;
    private const int BlockingCallbackReturnedEvent = 401;

    [Fact]
    public async Task CallbackBlocksTheLoop_LoopIsHandedOffAndTheWarningNamesTheBlockedTime()
    {
        Assert.SkipUnless(EpollLoop.IsSupported, "Needs TcpToolkit's epoll engine (Linux).");
        var ct = TestServers.Timeout();
        var log = new EngineEventLog();
        using var capture = EngineLogCapture.Capture(log);
        var loops = EpollLoopGroup.Create(1, "TcpToolkit epoll handoff test", BusyPollMode.Adaptive)!;
        var block = new TriggeredBlock { RequireLoopThread = true };
        EngineHooks.Current = new EngineHooks { Loops = loops };
        await using var server = await TestServers.StartAsync(block.Handler((_, _) => Thread.Sleep(TimeSpan.FromMilliseconds(300))));
        EngineHooks.Current = null;
        using var blocker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await blocker.ConnectAsync(server.LocalEndPoint, ct);
        await blocker.SendAsync(new[] { TriggeredBlock.Marker }, SocketFlags.None, ct);
        await block.Ready.WaitAsync(ct);

        // The warning is rate-limited process-wide: a handoff of another test's loop (the class's other test leaves
        // retired threads whose loops may be handed off once more) must not have used up the report this test waits for.
        EpollWatchdog.ResetReportLimitForTests();
        await blocker.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        var reply = BlockingHandlerTests.ReadByteAsync(blocker, ct);
        while (await Task.WhenAny(block.Started, reply) == reply)
        {
            (await reply).Should().Be(TriggeredBlock.Retry, "only a trigger delivered off the I/O loop is answered before the block");
            await blocker.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
            reply = BlockingHandlerTests.ReadByteAsync(blocker, ct);
        }

        var thread = await block.Started.WaitAsync(ct);
        await log.WaitForAsync(LoopHandedOffEvent, 1).WaitAsync(ct);
        await block.Ended.WaitAsync(ct);
        await log.WaitForAsync(BlockingCallbackReturnedEvent, 1).WaitAsync(ct);

        thread.Should().Be("TcpToolkit epoll handoff test 0", "the first thread of the loop was the one blocked");
        loops.Loops[0].HandoffCount.Should().Be(1);
        (await reply).Should().Be((byte)'E', "the connection is served on by the new thread");
        var warning = log.Messages(LoopHandedOffEvent).Single();
        warning.Should().Contain("TcpToolkit epoll handoff test 0").And.MatchRegex(@"for \d+ ms");
        ProcessFigures.Report($"handoff warning: {warning}; then: {log.Messages(BlockingCallbackReturnedEvent).Single()}");
    }

    [Fact]
    public async Task ManyHandoffsUnderLoad_EveryByteIsEchoedOnceInOrder_AndOnlyOneWarningIsLogged()
    {
        Assert.SkipUnless(EpollLoop.IsSupported, "Needs TcpToolkit's epoll engine (Linux).");
        var ct = TestServers.Timeout();
        var log = new EngineEventLog();
        using var capture = EngineLogCapture.Capture(log);
        var loops = EpollLoopGroup.Create(1, "TcpToolkit epoll load test", BusyPollMode.Adaptive)!;
        var reads = 0;

        // Server and client connections all on one loop; every 25th read blocks it for 20 ms.
        EngineHooks.Current = new EngineHooks { Loops = loops };
        await using var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            while (true)
            {
                var result = await connection.Input.ReadAsync(stopping);
                if (Interlocked.Increment(ref reads) % 25 == 0)
                {
                    Thread.Sleep(TimeSpan.FromMilliseconds(20));
                }

                foreach (var segment in result.Buffer)
                {
                    connection.Output.Write(segment.Span);
                }

                connection.Input.AdvanceTo(result.Buffer.End);
                await connection.Output.FlushAsync(stopping);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        });
        await using var client = new TcpClient();
        EngineHooks.Current = null;

        var peers = Enumerable.Range(0, 16).Select(async peer =>
        {
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            var random = new Random(peer);
            for (var round = 0; round < 60; round++)
            {
                var message = TestServers.RandomBytes(random.Next(1, 4000), seed: (peer * 1000) + round);
                await connection.SendAsync(message, ct);
                (await ServerLifecycleTests.ReadExactlyAsync(connection, message.Length, ct)).Should().Equal(message);
            }
        });
        await Task.WhenAll(peers).WaitAsync(ct);

        var handoffs = loops.Loops[0].HandoffCount;
        ProcessFigures.Report($"{handoffs} handoffs over {Volatile.Read(ref reads)} reads; {log.Count(LoopHandedOffEvent)} warning(s) logged");
        handoffs.Should().BeGreaterThan(1);
        log.Count(LoopHandedOffEvent).Should().Be(1, "handoff warnings are rate limited");
    }
}
