using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>
/// 100,000 datagrams from four senders at once, as fast as they go. UDP may lose datagrams and here it is allowed to:
/// the test counts where each one went (read, dropped by the endpoint's queue, dropped by the kernel's socket buffer,
/// unaccounted) and checks that nothing arrived twice or corrupted and that nothing threw. It runs alone (the
/// process-wide collection): four senders that never wait would take the CPU from the parallel tests' timeouts, and
/// the loss figures mean more without them.
/// </summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed class UdpEndpointLoadTests
{
    private const int Senders = 4;
    private const int PerSender = 25_000;
    private const int PayloadSize = 64;
    private const int FenceSender = -1;
    private const int YieldEvery = 64;

    [Fact]
    public async Task ReadAllAsync_FourSendersTwentyFiveThousandEach_LossCountedNoDuplicatesNoCorruption()
    {
        var ct = TestServers.Timeout();
        var stopwatch = Stopwatch.StartNew();
        await using var receiver = DatagramTestHelpers.BindLoopback();
        var senders = Enumerable.Range(0, Senders).Select(_ => DatagramTestHelpers.BindLoopback()).ToArray();
        var seen = Enumerable.Range(0, Senders).Select(_ => new bool[PerSender]).ToArray();
        var fenceSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long duplicates = 0;
        long corrupt = 0;
        long read = 0;

        var reader = Task.Run(
            async () =>
            {
                await foreach (var datagram in receiver.ReadAllAsync(ct))
                {
                    var (sender, sequence, valid) = Parse(datagram.Payload.Span);
                    if (!valid)
                    {
                        corrupt++;
                    }
                    else if (sender == FenceSender)
                    {
                        fenceSeen.TrySetResult();
                        return;
                    }
                    else if (seen[sender][sequence])
                    {
                        duplicates++;
                    }
                    else
                    {
                        seen[sender][sequence] = true;
                        read++;
                    }
                }
            },
            ct);

        try
        {
            await Task.WhenAll(senders.Select((sender, id) => Task.Run(
                async () =>
                {
                    var payload = new byte[PayloadSize];
                    for (var i = 0; i < PerSender; i++)
                    {
                        Fill(payload, id, i);
                        await sender.SendToAsync(payload, receiver.LocalEndPoint, ct);
                        if (i % YieldEvery == YieldEvery - 1)
                        {
                            // A UDP send completes at once, so a sender never waits; four of them would hold every
                            // pool thread of a 2-core machine and starve the receive loop (loss over 90%: counted as
                            // well, but it would test little of the receive path). Yielding keeps them fast but fair.
                            await Task.Yield();
                        }
                    }
                },
                ct)));

            // All sent. A fence behind them says the reader has seen what was going to arrive; the fence itself can be
            // lost to a full buffer too, so it is sent again until the reader sees one.
            var fences = 0;
            var fence = new byte[PayloadSize];
            Fill(fence, FenceSender, 0);
            while (!fenceSeen.Task.IsCompleted)
            {
                fences++;
                await senders[0].SendToAsync(fence, receiver.LocalEndPoint, ct);
                try
                {
                    await fenceSeen.Task.WaitAsync(TimeSpan.FromMilliseconds(200), ct);
                }
                catch (TimeoutException)
                {
                    // That fence was lost as well (or is still queued behind a backlog): send another.
                }
            }

            await reader.WaitAsync(ct);
            var kernelDrops = DatagramTestHelpers.KernelDrops(receiver.LocalEndPoint.Port, ipv6: false);
            stopwatch.Stop();

            const int Total = Senders * PerSender;
            var queueDrops = receiver.DatagramsDropped;
            var unaccounted = Total + fences - read - 1 - queueDrops - (kernelDrops ?? 0);
            ProcessFigures.Report(string.Create(
                CultureInfo.InvariantCulture,
                $"UDP load: sent {Total} (+{fences} fence), taken from the socket {receiver.DatagramsReceived}, read {read}, dropped by the endpoint's queue {queueDrops}, dropped by the kernel socket buffer {(kernelDrops is { } k ? k.ToString(CultureInfo.InvariantCulture) : "n/a")}, unaccounted {unaccounted}; loss {100.0 * (Total - read) / Total:F2}%; {stopwatch.Elapsed.TotalSeconds:F2} s"));

            duplicates.Should().Be(0);
            corrupt.Should().Be(0);
            read.Should().BePositive();
            senders.Sum(s => s.DatagramsSent).Should().Be(Total + fences);
            (read + 1 + queueDrops).Should().BeLessThanOrEqualTo(Total + fences, "nothing is read or dropped that was not sent");
            receiver.DatagramsReceived.Should().BeGreaterThanOrEqualTo(read + 1 + queueDrops);
            if (kernelDrops is { } drops)
            {
                unaccounted.Should().BeGreaterThanOrEqualTo(0, $"the kernel counted {drops} drops on the socket");
            }
        }
        finally
        {
            foreach (var sender in senders)
            {
                await sender.DisposeAsync();
            }
        }
    }

    private static void Fill(byte[] payload, int sender, int sequence)
    {
        BinaryPrimitives.WriteInt32BigEndian(payload, sender);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), sequence);
        for (var i = 8; i < payload.Length; i++)
        {
            payload[i] = (byte)(sender + sequence + i);
        }
    }

    private static (int Sender, int Sequence, bool Valid) Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != PayloadSize)
        {
            return (0, 0, false);
        }

        var sender = BinaryPrimitives.ReadInt32BigEndian(payload);
        var sequence = BinaryPrimitives.ReadInt32BigEndian(payload[4..]);
        if (sender is < FenceSender or >= Senders || sequence is < 0 or >= PerSender)
        {
            return (0, 0, false);
        }

        for (var i = 8; i < payload.Length; i++)
        {
            if (payload[i] != (byte)(sender + sequence + i))
            {
                return (0, 0, false);
            }
        }

        return (sender, sequence, true);
    }
}
