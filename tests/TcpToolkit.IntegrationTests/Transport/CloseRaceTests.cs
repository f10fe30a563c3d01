using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>One close per connection: racing CloseAsync calls share one close, which runs once.</summary>
public sealed class CloseRaceTests
{
    [Fact]
    public async Task CloseAsync_CalledFromTwoThreadsAtOnce_ReturnsOneTaskAndClosesOnce()
    {
        var ct = TestServers.Timeout();

        // A close-timeout timer is created per close that runs: a distinct due time tells them from other timers.
        var closeTimeout = TimeSpan.FromSeconds(7.25);
        var time = new CountingTimeProvider(TimeProvider.System);
        await using var server = await TestServers.StartAsync(TestServers.EchoAsync);
        await using var client = new TcpClient(new TcpClientOptions { TimeProvider = time, CloseTimeout = closeTimeout });

        const int Rounds = 50;
        for (var round = 0; round < Rounds; round++)
        {
            var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            using var start = new Barrier(2);
            var closes = new Task[2];
            var callers = Enumerable.Range(0, 2).Select(i => new Thread(() =>
            {
                start.SignalAndWait(ct);
                closes[i] = connection.CloseAsync(ct);
            })).ToArray();
            foreach (var caller in callers)
            {
                caller.Start();
            }

            foreach (var caller in callers)
            {
                caller.Join();
            }

            closes[0].Should().BeSameAs(closes[1], "racing callers get the same close");
            await closes[0].WaitAsync(ct);
        }

        // Every close created its timer before its first wait, so every timer is in the provider's record by now.
        var closeTimers = 0;
        for (var i = time.TotalTimers; i > 0; i--)
        {
            if (await time.NextTimerAsync(ct) == closeTimeout)
            {
                closeTimers++;
            }
        }

        closeTimers.Should().Be(Rounds, "one close ran per connection");
    }
}
