using System.Buffers;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Hostile;

/// <summary>Peers that stop reading: writers wait at the limits, memory stays bounded, the write timeout ends it.</summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed class SlowConsumerTests
{
    [Fact]
    public async Task PeerNeverReads_FlushWaitsAtMaxWriteBufferSize_AndMemoryStaysBounded()
    {
        const int Offered = 64 * 1024 * 1024;
        const int Chunk = 16 * 1024;
        const long MaxWriteBuffer = 64 * 1024;
        var ct = TestServers.Timeout();
        var stalled = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var memoryBefore = ProcessFigures.SettledManagedMemory();
        long memoryAtStall = 0;
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                var chunk = new byte[Chunk];
                long accepted = 0;
                while (accepted < Offered)
                {
                    connection.Output.Write(chunk);
                    accepted += Chunk;
                    var flush = connection.Output.FlushAsync(stopping);
                    if (!flush.IsCompleted && !stalled.Task.IsCompleted)
                    {
                        // The flush waits: the peer does not read and the pipe holds MaxWriteBufferSize.
                        memoryAtStall = ProcessFigures.SettledManagedMemory();
                        stalled.SetResult(accepted);
                        await release.Task;
                        connection.Abort("test done");
                        return;
                    }

                    await flush;
                }

                stalled.TrySetResult(accepted);
            },
            options => options.MaxWriteBufferSize = MaxWriteBuffer);

        // A raw socket that never reads, so the only pipes in the process are the server's.
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        var acceptedBeforeStall = await stalled.Task.WaitAsync(ct);
        release.SetResult();

        var growth = memoryAtStall - memoryBefore;
        ProcessFigures.Report(
            $"peer-never-reads: offered {Offered} B; the server's writer accepted {acceptedBeforeStall} B before its flush waited " +
            $"(kernel socket buffers + MaxWriteBufferSize {MaxWriteBuffer} B); managed memory growth {growth} B");
        acceptedBeforeStall.Should().BeLessThan(Offered / 4, "the writer must wait at the limit, not buffer what is offered");
        growth.Should().BeLessThan(4 * 1024 * 1024, "memory is bounded by the limits, not by what is offered");
    }

    [Fact]
    public async Task Peer256MiBNeverReadsEcho_MemoryStaysUnderLimitBound_WriteTimeoutCloses()
    {
        const long Offered = 256L * 1024 * 1024;
        const long MaxRead = 1024 * 1024;
        const long MaxWrite = 64 * 1024;
        var ct = TestServers.Timeout();
        var time = new ObservableTimeProvider();
        var writeTimeout = TimeSpan.FromSeconds(30);
        var handlerStalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource<(CloseReason Reason, long Memory)>(TaskCreationOptions.RunContinuationsAsynchronously);
        long buffersAtStall = 0;
        long buffersAtClose = 0;
        TcpServer? serverRef = null;
        var memoryBefore = ProcessFigures.SettledManagedMemory();
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() =>
                {
                    buffersAtClose = serverRef!.BufferBytesInUse;
                    closed.TrySetResult((connection.CloseReason, ProcessFigures.SettledManagedMemory()));
                });
                while (true)
                {
                    var result = await connection.Input.ReadAsync(stopping);
                    foreach (var segment in result.Buffer)
                    {
                        connection.Output.Write(segment.Span);
                    }

                    connection.Input.AdvanceTo(result.Buffer.End);
                    var flush = connection.Output.FlushAsync(stopping);
                    if (!flush.IsCompleted)
                    {
                        handlerStalled.TrySetResult();
                    }

                    await flush;
                }
            },
            options =>
            {
                options.TimeProvider = time;
                options.MaxReadBufferSize = MaxRead;
                options.MaxWriteBufferSize = MaxWrite;
                options.WriteTimeout = writeTimeout;
            });
        serverRef = server;

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        long sent = 0;
        var sender = Task.Run(
            async () =>
            {
                var chunk = new byte[64 * 1024];
                try
                {
                    while (sent < Offered)
                    {
                        sent += await socket.SendAsync(chunk, SocketFlags.None, ct);
                    }
                }
                catch (SocketException)
                {
                    // The server closed the connection: the expected end.
                }
            },
            ct);

        await handlerStalled.Task.WaitAsync(ct);
        var memoryAtStall = ProcessFigures.SettledManagedMemory();
        buffersAtStall = server.BufferBytesInUse;
        // Let heartbeat time pass until the write timeout closes the connection. While the peer's receive window is
        // still opening, the server's sends make progress and each one restarts the stall, so the fake clock advances
        // a second at a time and each step waits (briefly, in real time) for the close before the next.
        while (!closed.Task.IsCompleted)
        {
            time.Fake.Advance(TimeSpan.FromSeconds(1));
            try
            {
                await closed.Task.WaitAsync(TimeSpan.FromMilliseconds(20), ct);
            }
            catch (TimeoutException)
            {
                // Not yet: the next second.
            }
        }

        var (reason, memoryAtClose) = await closed.Task.WaitAsync(ct);
        await sender.WaitAsync(ct);

        // What the limits allow: each pipe pauses its writer once it holds its limit, plus at most one more receive
        // or write of a block; its bytes sit in pool blocks that are at least half full (a receive asks for half a block
        // of room), so the blocks behind a pipe are at most twice its bytes. Everything else the offer sits in is the
        // kernel's socket buffers, not the server's memory.
        const long Block = TcpToolkit.Transport.Internal.PinnedBlockMemoryPool.DefaultBlockSize;
        const long Bound = (2 * (MaxRead + Block)) + (2 * (MaxWrite + Block));
        var peak = Math.Max(memoryAtStall, memoryAtClose) - memoryBefore;
        ProcessFigures.Report(
            $"slow-consumer: offered {Offered} B, the peer got {sent} B into the connection before it stalled; " +
            $"server buffers held {buffersAtStall} B at the stall, {buffersAtClose} B at close; managed memory growth {memoryAtStall - memoryBefore} B at the stall, " +
            $"{memoryAtClose - memoryBefore} B at close; bound from the limits {Bound} B; closed with {reason}");
        reason.Should().Be(CloseReason.WriteTimeout);
        sent.Should().BeLessThan(Offered, "the server's backpressure must stop the sender");
        Math.Max(buffersAtStall, buffersAtClose).Should().BeLessThanOrEqualTo(Bound, "the connection's pipes hold at most what the limits allow");
        peak.Should().BeLessThan(Bound + (4 * 1024 * 1024), "process memory is bounded by the limits too (with slack for the runtime's own allocations)");
    }
}
