using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Hostile;

/// <summary>A graceful stop in the middle of 100 conversations: every acknowledged message was processed exactly once.</summary>
public sealed class GracefulStopTests
{
    private static readonly LengthFieldCodecOptions s_frames = LengthFieldCodecOptions.UInt32BigEndian;

    [Fact]
    public async Task StopAsync_100ClientsMidConversation_NoAcknowledgedMessageLostOrDuplicated()
    {
        const int Clients = 100;
        var ct = TestServers.Timeout();
        var processed = new ConcurrentDictionary<long, int>();
        var acknowledgedBeforeStop = 0;
        var enoughTraffic = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await TestServers.StartAsync(async (connection, stopping) =>
        {
            var reader = new FrameReader(connection.Input);
            var writer = new FrameWriter(connection.Output);
            var decoder = new LengthFieldFrameDecoder(s_frames);
            var encoder = new LengthFieldFrameEncoder(s_frames);
            var ack = new byte[8];
            while (!stopping.IsCancellationRequested)
            {
                FrameReadResult<ReadOnlySequence<byte>> result;
                try
                {
                    result = await reader.ReadAsync(decoder, stopping);
                }
                catch (OperationCanceledException)
                {
                    // Stopping while waiting: nothing was taken from this connection, nothing is lost.
                    return;
                }

                if (!result.HasFrame)
                {
                    return;
                }

                // Process (record the id), then acknowledge it: a message is acknowledged only once processed.
                var id = ReadId(result.Frame);
                processed.AddOrUpdate(id, 1, (_, count) => count + 1);
                BinaryPrimitives.WriteInt64BigEndian(ack, id);
                await writer.WriteAsync(encoder, ack, CancellationToken.None);
                if (Interlocked.Increment(ref acknowledgedBeforeStop) == 2_000)
                {
                    enoughTraffic.TrySetResult();
                }
            }
        });

        var acknowledged = new ConcurrentDictionary<long, byte>();
        var clients = Enumerable.Range(0, Clients).Select(async c =>
        {
            await using var client = new TcpClient();
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            var reader = new FrameReader(connection.Input);
            var writer = new FrameWriter(connection.Output);
            var decoder = new LengthFieldFrameDecoder(s_frames);
            var encoder = new LengthFieldFrameEncoder(s_frames);
            var message = new byte[8];
            for (long seq = 0; ; seq++)
            {
                var id = (c * 1_000_000L) + seq;
                BinaryPrimitives.WriteInt64BigEndian(message, id);
                try
                {
                    await writer.WriteAsync(encoder, message, ct);
                    var reply = await reader.ReadAsync(decoder, ct);
                    if (!reply.HasFrame)
                    {
                        return;
                    }

                    ReadId(reply.Frame).Should().Be(id, "acks come back in order on a connection");
                    acknowledged[id] = 0;
                }
                catch (IOException)
                {
                    // The server went away mid-message (reset or truncated frame): that message was not acknowledged.
                    return;
                }
                catch (ConnectionAbortedException)
                {
                    return;
                }
            }
        }).ToList();

        await enoughTraffic.Task.WaitAsync(ct);
        var stop = await server.StopAsync(ct);
        await Task.WhenAll(clients).WaitAsync(ct);
        await server.DisposeAsync();

        ProcessFigures.Report(
            $"graceful stop: {Clients} clients, {acknowledged.Count} messages acknowledged, {processed.Count} processed, " +
            $"{processed.Count(p => p.Value > 1)} duplicated; stop drained {stop.DrainedConnections}, aborted {stop.AbortedConnections}");
        acknowledged.Keys.Should().OnlyContain(id => processed.ContainsKey(id), "every acknowledged message was processed");
        processed.Values.Should().OnlyContain(count => count == 1, "no message is processed twice");
        (processed.Count - acknowledged.Count).Should().BeLessThanOrEqualTo(Clients, "at most the one in-flight message per client lacks its ack");
        stop.Should().Be(new ServerStopResult(DrainedConnections: Clients, AbortedConnections: 0), "every handler honours the stop signal in time");
    }

    private static long ReadId(ReadOnlySequence<byte> frame)
    {
        Span<byte> bytes = stackalloc byte[8];
        frame.CopyTo(bytes);
        return BinaryPrimitives.ReadInt64BigEndian(bytes);
    }
}
