using TcpToolkit.Transport.Internal.Epoll;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Issue #11, client side: application code after an await on a client connection runs on the thread that delivered
/// the bytes (on Linux, an I/O loop shared with other connections); blocking there must not stall the others. The
/// server runs on .NET's socket engine, so only the client's engine is measured.
/// </summary>
[Collection(RoundTripLatency.Name)]
public sealed class BlockingClientTests
{
    private const int PingerCount = 16;

    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task ContinuationAfterReadBlocksTwoSeconds_NoOtherRoundTripTakesOver100Ms(string engine)
    {
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, options => options.UseDotNetSocketEngine = true);
        await using var client = new TcpClient(new TcpClientOptions { UseDotNetSocketEngine = engine == "dotnet" });
        await using var blocker = await client.ConnectAsync(server.LocalEndPoint, ct);
        await using var pingers = await Pingers.StartAsync(client, server.LocalEndPoint, PingerCount, ct);

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = Task.Run(
            async () =>
            {
                var read = blocker.Input.ReadAsync(ct);
                ready.TrySetResult();
                var result = await read;
                blocker.Input.AdvanceTo(result.Buffer.End);
                started.TrySetResult(Thread.CurrentThread.Name ?? "(unnamed)");

                // The point of the test: application code that blocks the thread its continuation runs on.
                Thread.Sleep(TimeSpan.FromSeconds(2));
            },
            ct);
        await ready.Task.WaitAsync(ct);
        await blocker.SendAsync("x"u8.ToArray(), ct);
        var thread = await started.Task.WaitAsync(ct);
        var roundTripsBefore = pingers.RoundTrips;
        await blocked.WaitAsync(ct);
        var roundTripsDuring = pingers.RoundTrips - roundTripsBefore;
        await pingers.StopAfterCurrentRoundsAsync(ct);

        SchedulingFigures.Report("client continuation blocks 2 s", engine, pingers, thread);
        SchedulingFigures.ShouldBeLoopThreadFor(engine, thread);
        pingers.MaxRoundTrip.Should().BeLessThan(pingers.RoundTripBound);
        roundTripsDuring.Should().BeGreaterThan(PingerCount * 10);
    }

    [Fact]
    public async Task ContinuationAfterConnectBlocks_OtherConnectionsRun()
    {
        Assert.SkipUnless(EpollLoop.IsSupported, "Needs TcpToolkit's epoll engine (Linux).");
        var ct = TestServers.Timeout();
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync, options => options.UseDotNetSocketEngine = true);
        await using var client = new TcpClient();
        await using var pingers = await Pingers.StartAsync(client, server.LocalEndPoint, PingerCount, ct);

        // Wherever ConnectAsync completes (an I/O loop when the connect had to wait), blocking after it stalls no one.
        var thread = await Task.Run(
            async () =>
            {
                await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
                var name = Thread.CurrentThread.Name ?? "(thread pool)";
                Thread.Sleep(TimeSpan.FromMilliseconds(500));
                return name;
            },
            ct);
        await pingers.StopAfterCurrentRoundsAsync(ct);

        SchedulingFigures.Report("client continuation after ConnectAsync blocks 0.5 s", "epoll", pingers, thread);
        pingers.MaxRoundTrip.Should().BeLessThan(pingers.RoundTripBound);
    }
}
