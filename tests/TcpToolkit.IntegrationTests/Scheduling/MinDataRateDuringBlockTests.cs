using System.Collections.Concurrent;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Issue #11: while a handler held an I/O loop, the heartbeat saw no bytes arrive for the loop's other connections and
/// closed innocent peers for their minimum data rate. With the handoff the stall lasts milliseconds; peers that send
/// steadily in the middle of a message are not touched while one handler blocks for two seconds.
/// </summary>
[Collection(RoundTripLatency.Name)]
public sealed class MinDataRateDuringBlockTests
{
    private const int TricklerCount = 8;

    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task HandlerBlocksTwoSeconds_PeersSendingTheirMessageSteadilyAreNotClosedForDataRate(string engine)
    {
        var ct = TestServers.Timeout();
        var block = new TriggeredBlock();
        var blocking = block.Handler((_, _) => Thread.Sleep(TimeSpan.FromSeconds(2)));
        var closedFor = new ConcurrentQueue<CloseReason>();
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                var first = await connection.Input.ReadAsync(stopping);
                connection.Input.AdvanceTo(first.Buffer.Start);
                if (first.Buffer.FirstSpan[0] == TriggeredBlock.Marker)
                {
                    await blocking(connection, stopping);
                    return;
                }

                // A message that never ends: everything is examined and all but the last byte consumed (the rate rule
                // watches a connection that holds part of a message), and each chunk is acknowledged with one byte so
                // the peer sends the next.
                connection.ConnectionClosed.Register(() => closedFor.Enqueue(connection.CloseReason));
                while (true)
                {
                    var result = await connection.Input.ReadAsync(stopping);
                    connection.Input.AdvanceTo(result.Buffer.GetPosition(Math.Max(result.Buffer.Length - 1, 0)), result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        return;
                    }

                    await connection.Output.WriteAsync("a"u8.ToArray(), stopping);
                }
            },
            options =>
            {
                options.UseDotNetSocketEngine = engine == "dotnet";
                options.MinReceiveDataRate = new MinDataRate(bytesPerSecond: 1000, gracePeriod: TimeSpan.FromMilliseconds(200));
            });
        using var blocker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await blocker.ConnectAsync(server.LocalEndPoint, ct);
        await blocker.SendAsync(new[] { TriggeredBlock.Marker }, SocketFlags.None, ct);
        await block.Ready.WaitAsync(ct);

        // 32 bytes per acknowledged round trip: tens of kB/s, far above the 1000 B/s minimum, unless a loop stalls.
        var chunk = new byte[32];
        chunk[0] = (byte)'T';
        await using var tricklers = await Pingers.StartRawAsync(server.LocalEndPoint, TricklerCount, ct, chunk);
        await blocker.SendAsync(new byte[] { 1 }, SocketFlags.None, ct);
        var thread = await block.Started.WaitAsync(ct);
        await block.Ended.WaitAsync(ct);
        await tricklers.StopAfterCurrentRoundsAsync(ct);

        SchedulingFigures.Report("peers trickling a message while a handler blocks 2 s (min rate 1000 B/s after 200 ms)", engine, tricklers, thread);
        closedFor.Should().BeEmpty("no peer was slow: the blocked loop was handed off");
        tricklers.MaxRoundTrip.Should().BeLessThan(tricklers.RoundTripBound);
    }
}
