using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>
/// On the epoll engine, a write with nothing buffered before it goes to the socket straight from the caller's memory
/// (issue #17: an echo writes back what it read without copying it into the output pipe); what the socket does not take
/// at once is queued behind it as before. Held to the pipe's contract on real sockets, both engines (.NET's always queues): every byte
/// arrives once and in order, whether writes are sent at once, queued or mixed with buffered ones, and every byte is
/// counted as sent.
/// </summary>
public sealed class DirectSendTests
{
    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task WriteAsync_MixedWithBufferedWrites_EveryByteArrivesOnceInOrderAndIsCountedAsSent(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        var sizes = new[] { 1, 7, 100, 1_500, 16_384, 65_536, 200_000 };
        var total = 0L;
        var telemetry = new TaskCompletionSource<TcpToolkit.Diagnostics.Internal.ConnectionTelemetry>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            telemetry.TrySetResult(connection.Telemetry!);
            var output = connection.Output;
            long position = 0;
            for (var i = 0; i < 120; i++)
            {
                var chunk = Pattern(position, sizes[i % sizes.Length]);
                position += chunk.Length;
                if (i % 5 == 4)
                {
                    // Buffered first, then a write: the write must go behind the buffered bytes, not before them.
                    var buffered = Pattern(position - chunk.Length, chunk.Length / 2);
                    output.Write(buffered);
                    await output.WriteAsync(chunk.AsMemory(buffered.Length), stopping);
                }
                else
                {
                    await output.WriteAsync(chunk, stopping);
                }
            }

            Volatile.Write(ref total, position);
            await output.FlushAsync(stopping);
        });

        using var peer = await ConnectAsync(server);
        var received = await ReadToEndAsync(peer, ct);
        received.Should().Be(Volatile.Read(ref total));

        // The FIN goes out after the last send is counted.
        var counters = await telemetry.Task.WaitAsync(TestTimeouts.Default, ct);
        Volatile.Read(ref counters.BytesSent).Should().Be(received, "bytes sent at once count as sent too");
    }

    [Fact]
    public async Task WriteAsync_NothingBufferedOnTheEpollEngine_CompletesAtOnceWithoutTouchingTheOutputPipe()
    {
        // The direct send's own evidence: a first write on a fresh connection completes before returning and allocates
        // nothing on the writing thread. Through the output pipe it would create the pipe first (hundreds of bytes).
        var ct = TestContext.Current.CancellationToken;
        var payload = Pattern(0, 1_000);
        var figures = new List<(bool AtOnce, long Allocated)>();
        await using var server = await StartAsync("epoll", async (connection, stopping) =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var write = connection.Output.WriteAsync(payload, stopping);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            var atOnce = write.IsCompletedSuccessfully;
            await write;
            lock (figures)
            {
                figures.Add((atOnce, allocated));
            }
        });

        // The first connection warms up the code; the second is measured.
        for (var i = 0; i < 2; i++)
        {
            using var peer = await ConnectAsync(server);
            (await ReadToEndAsync(peer, ct)).Should().Be(payload.Length);
        }

        lock (figures)
        {
            figures.Should().HaveCount(2);
            figures[1].AtOnce.Should().BeTrue("the socket took the bytes at once");
            figures[1].Allocated.Should().Be(0, "the bytes went to the socket from the caller's memory, not through a newly created output pipe");
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task WriteAsync_PeerNotReadingYet_WhatTheSocketDoesNotTakeIsQueuedAndArrivesInOrder(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        const int Chunk = 256 * 1024;
        const int Chunks = 64;
        var waited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            long position = 0;
            for (var i = 0; i < Chunks; i++)
            {
                var write = connection.Output.WriteAsync(Pattern(position, Chunk), stopping);
                position += Chunk;
                if (!write.IsCompleted)
                {
                    // The socket's buffers are full and the rest waits in the output: now let the peer read.
                    waited.TrySetResult();
                }

                await write;
            }

            waited.TrySetResult();
        });

        using var peer = await ConnectAsync(server);
        await waited.Task.WaitAsync(TestTimeouts.Default, ct);
        (await ReadToEndAsync(peer, ct)).Should().Be((long)Chunk * Chunks);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task PeersResetAfterWritesSentAtOnce_EveryConnectionClosesByItself(string engine)
    {
        // The reset ends the receive side, which stops the send side with a signal; a handler that has stopped writing
        // leaves that signal as the only thing to start the send run that ends the connection (issue #17: a direct
        // send holding the send side while a run parks must not lose it).
        const int Peers = 100;
        var ct = TestContext.Current.CancellationToken;
        var closed = 0;
        var allClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            connection.ConnectionClosed.UnsafeRegister(
                _ =>
                {
                    if (Interlocked.Increment(ref closed) == Peers)
                    {
                        allClosed.TrySetResult();
                    }
                },
                null);
            var chunk = Pattern(0, 1_000);
            for (var i = 0; i < 20; i++)
            {
                if ((await connection.Output.WriteAsync(chunk, stopping)).IsCompleted)
                {
                    return;
                }
            }

            // Then only read, until the reset ends the input.
            while (!(await connection.Input.ReadAsync(stopping)).IsCompleted)
            {
                connection.Input.AdvanceTo(default(SequencePosition));
            }
        });

        var peers = new List<Socket>();
        for (var i = 0; i < Peers; i++)
        {
            var peer = await ConnectAsync(server);
            var first = new byte[1];
            (await peer.ReceiveAsync(first, ct)).Should().Be(1);
            peers.Add(peer);
        }

        foreach (var peer in peers)
        {
            peer.LingerState = new LingerOption(enable: true, seconds: 0);
            peer.Dispose();
        }

        await allClosed.Task.WaitAsync(TestTimeouts.Default, ct);
        server.ConnectionCount.Should().Be(0);
    }

    [Fact]
    public async Task WriteRunAsync_RunsAcrossBufferBlocks_EchoIsByteIdentical()
    {
        var ct = TestContext.Current.CancellationToken;
        var codec = LengthFieldCodecOptions.UInt32BigEndian;
        await using var server = await StartAsync("epoll", async (connection, stopping) =>
        {
            var reader = new FrameReader(connection, logger: null);
            var writer = new FrameWriter(connection);
            var decoder = new LengthFieldFrameDecoder(codec);
            while (true)
            {
                var run = await reader.ReadRunAsync(decoder, stopping);
                if (!run.HasFrames)
                {
                    return;
                }

                await writer.WriteRunAsync(run, stopping);
            }
        });

        // Frames up to 40 KB: runs straddle the transport's 64 KiB blocks, so many go out as gathered sends.
        var random = new Random(17);
        var sent = new MemoryStream();
        for (var i = 0; i < 600; i++)
        {
            var payload = new byte[random.Next(0, 40_000)];
            random.NextBytes(payload);
            var header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)payload.Length);
            sent.Write(header);
            sent.Write(payload);
        }

        var wire = sent.ToArray();
        using var peer = await ConnectAsync(server);
        var sending = Task.Run(
            async () =>
            {
                for (var offset = 0; offset < wire.Length; offset += 100_000)
                {
                    await peer.SendAsync(wire.AsMemory(offset, Math.Min(100_000, wire.Length - offset)), ct);
                }

                peer.Shutdown(SocketShutdown.Send);
            },
            ct);
        var echoed = new byte[wire.Length + 1];
        var received = 0;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(TestTimeouts.Default);
            int read;
            while ((read = await peer.ReceiveAsync(echoed.AsMemory(received), timeout.Token)) > 0)
            {
                received += read;
            }
        }

        await sending;
        received.Should().Be(wire.Length);
        echoed.AsSpan(0, received).SequenceEqual(wire).Should().BeTrue("the echo gives back every frame's bytes unchanged and in order");
    }

    // The byte at stream position p is p % 251: a byte out of order, lost or doubled shows at once.
    private static byte[] Pattern(long position, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((position + i) % 251);
        }

        return bytes;
    }

    private static async Task<long> ReadToEndAsync(Socket peer, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TestTimeouts.Default);
        var buffer = new byte[64 * 1024];
        long position = 0;
        int read;
        while ((read = await peer.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)((position + i) % 251))
                {
                    throw new InvalidDataException($"Byte {position + i} is {buffer[i]}, expected {(position + i) % 251}: a byte out of order, lost or doubled.");
                }
            }

            position += read;
        }

        return position;
    }

    private static Task<TcpServer> StartAsync(string engine, ConnectionHandler handler)
        => TestServers.StartAsync(handler, options => options.UseDotNetSocketEngine = engine == "dotnet");

    private static Task<Socket> ConnectAsync(TcpServer server) => TestServers.ConnectPeerAsync(server);
}
