using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Issue #11: the heartbeat, StopAsync and Abort callers never run application code inline. ConnectionClosed
/// callbacks run on the thread pool (the token itself is cancelled at once), and the pump loops an abort wakes (which
/// complete the pipes and so resume the handler) are resumed there too.
/// </summary>
public sealed class CallbackDispatchTests
{
    private static readonly TimeSpan Block = TimeSpan.FromSeconds(2);

    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Fact]
    public async Task ConnectionClosedCallbackBlocks_HeartbeatStillClosesAnotherIdleConnectionAtOnce()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var accepted = 0;
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondClosed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                if (Interlocked.Increment(ref accepted) == 1)
                {
                    connection.ConnectionClosed.Register(() =>
                    {
                        firstClosed.TrySetResult();

                        // The point of the test: an application callback that blocks.
                        Thread.Sleep(Block);
                    });
                    firstStarted.TrySetResult();
                }
                else
                {
                    connection.ConnectionClosed.Register(() => secondClosed.TrySetResult(connection.CloseReason));
                    secondStarted.TrySetResult();
                }

                await TestServers.ReadToEndAsync(connection, stopping);
            },
            options =>
            {
                options.TimeProvider = time;
                options.IdleTimeout = TimeSpan.FromSeconds(1);
            });
        await using var client = new TcpClient();
        await using var first = await client.ConnectAsync(server.LocalEndPoint, ct);
        await firstStarted.Task.WaitAsync(ct);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await using var second = await client.ConnectAsync(server.LocalEndPoint, ct);
        await secondStarted.Task.WaitAsync(ct);

        // The heartbeat (a timer on the fake clock, so it runs inside Advance on this thread) closes the first
        // connection at 1 s and the second at 1.5 s.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 6; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        var advanced = watch.Elapsed;
        await firstClosed.Task.WaitAsync(ct);
        (await secondClosed.Task.WaitAsync(ct)).Should().Be(CloseReason.IdleTimeout);
        var secondClosedAfter = watch.Elapsed;

        ProcessFigures.Report($"heartbeat ticks took {advanced.TotalMilliseconds:F1} ms, second idle connection closed after {secondClosedAfter.TotalMilliseconds:F1} ms while the first one's callback blocked {Block.TotalSeconds} s");
        advanced.Should().BeLessThan(TimeSpan.FromSeconds(1), "the heartbeat must not run the blocking callback");
        secondClosedAfter.Should().BeLessThan(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task ConnectionClosedCallbackBlocks_StopAsyncReturnsWithinItsTimeout()
    {
        var ct = TestServers.Timeout();
        var shutdownTimeout = TimeSpan.FromSeconds(1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callbackRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() =>
                {
                    callbackRan.TrySetResult();
                    Thread.Sleep(Block);
                });
                started.TrySetResult();
                await TestServers.ReadToEndAsync(connection, stopping);
            },
            options => options.ShutdownTimeout = shutdownTimeout);
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await started.Task.WaitAsync(ct);

        var watch = Stopwatch.StartNew();
        var result = await server.StopAsync(ct);
        var took = watch.Elapsed;
        await callbackRan.Task.WaitAsync(ct);
        await server.DisposeAsync();

        ProcessFigures.Report($"StopAsync took {took.TotalMilliseconds:F1} ms (timeout {shutdownTimeout.TotalSeconds} s) while a ConnectionClosed callback blocked {Block.TotalSeconds} s");
        took.Should().BeLessThan(shutdownTimeout, "the handler returned at once; its connection's callback is not StopAsync's business");
        result.DrainedConnections.Should().Be(1);
        result.AbortedConnections.Should().Be(0);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Abort_TheHandlerBlocksWhenItsReadFails_AbortReturnsAtOnce(string engine)
    {
        var ct = TestServers.Timeout();
        var waiting = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                try
                {
                    var read = connection.Input.ReadAsync(stopping);
                    waiting.TrySetResult(connection);
                    await read;
                }
                catch (ConnectionAbortedException)
                {
                    blocked.TrySetResult();
                    Thread.Sleep(Block);
                }
            },
            options => options.UseDotNetSocketEngine = engine == "dotnet");
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var serverSide = await waiting.Task.WaitAsync(ct);

        var watch = Stopwatch.StartNew();
        serverSide.Abort("test");
        var took = watch.Elapsed;
        await blocked.Task.WaitAsync(ct);

        ProcessFigures.Report($"Abort [{engine}] returned after {took.TotalMilliseconds:F2} ms while the handler's continuation blocked {Block.TotalSeconds} s");
        took.Should().BeLessThan(TimeSpan.FromMilliseconds(500), "Abort must not run the handler's continuation");
    }
}
