using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Hostile;

/// <summary>Thousands of connections that open and close or reset at once: nothing may leak.</summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed class ConnectionChurnTests
{
    private const int Cycles = 5_000;

    [Fact]
    public async Task ConnectCloseAndConnectResetCycles_SocketsAndMemoryReturnToBaseline()
    {
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        ct.CancelAfter(TimeSpan.FromSeconds(60));
        var started = 0;
        var cyclesDone = 0;
        var allClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TcpServer? serverRef = null;
        var time = new FakeTimeProvider();
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                Interlocked.Increment(ref started);
                connection.ConnectionClosed.Register(() =>
                {
                    // The server frees a connection's slot before ConnectionClosed fires, so the count is current.
                    if (Volatile.Read(ref cyclesDone) == 1 && serverRef!.ConnectionCount == 0)
                    {
                        allClosed.TrySetResult();
                    }
                });
                return TestServers.EchoAsync(connection, stopping);
            },
            options => options.TimeProvider = time);
        serverRef = server;

        // Warm up once so the baseline includes the pool, the JIT and the first connection's objects.
        await EchoOnceAsync(server, ct.Token);
        var socketsBefore = ProcessFigures.OpenSockets();
        var memoryBefore = ProcessFigures.SettledManagedMemory();

        await RunCyclesAsync(server, reset: false, ct.Token);
        await RunCyclesAsync(server, reset: true, ct.Token);

        // Accept is FIFO: once a normal exchange completes, every earlier connection was accepted or refused.
        await EchoOnceAsync(server, ct.Token);
        Volatile.Write(ref cyclesDone, 1);
        if (server.ConnectionCount == 0)
        {
            allClosed.TrySetResult();
        }

        await allClosed.Task.WaitAsync(ct.Token);

        // Two eviction intervals: the buffer blocks the burst needed go back to the GC once they sit unused.
        time.Advance(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));
        var socketsAfter = ProcessFigures.OpenSockets();
        var memoryAfter = ProcessFigures.SettledManagedMemory();
        ProcessFigures.Report(
            $"churn: {Cycles} connect-close + {Cycles} connect-reset cycles; server handlers ran {started}; " +
            $"open sockets {socketsBefore} -> {socketsAfter}; managed memory {memoryBefore / 1024} KiB -> {memoryAfter / 1024} KiB");

        server.ConnectionCount.Should().Be(0);
        socketsAfter.Should().BeLessThanOrEqualTo(socketsBefore + 2, "closed and reset connections must release their sockets");
        memoryAfter.Should().BeLessThan(memoryBefore + (2 * 1024 * 1024), "closed connections must not leave managed memory behind");
    }

    private static async Task RunCyclesAsync(TcpServer server, bool reset, CancellationToken ct)
    {
        // 16 at a time: enough to overlap accepts and closes, few enough not to fill the backlog.
        var next = 0;
        var workers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= Cycles)
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(server.LocalEndPoint, ct);
                if (reset)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }

                socket.Close();
            }
        });
        await Task.WhenAll(workers);
    }

    private static async Task EchoOnceAsync(TcpServer server, CancellationToken ct)
    {
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await connection.SendAsync("ping"u8.ToArray(), ct);
        await connection.Output.CompleteAsync();
        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal("ping"u8.ToArray());
    }
}
