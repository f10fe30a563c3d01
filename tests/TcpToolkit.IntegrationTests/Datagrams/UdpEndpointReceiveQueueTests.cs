using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>The bounded receive queue: drop newest when the reader falls behind, counted and logged at a bounded rate.</summary>
public sealed class UdpEndpointReceiveQueueTests
{
    [Fact]
    public async Task ReadAllAsync_ReaderPausedPastCapacity_NewestDroppedCountedAndReadingResumes()
    {
        var ct = TestServers.Timeout();
        const int Capacity = 8;
        const int Sent = 32;
        await using var receiver = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { ReceiveQueueCapacity = Capacity });
        await using var sender = DatagramTestHelpers.BindLoopback();

        // Nobody reads while 32 datagrams arrive: 8 fit in the queue, the loop keeps draining the socket, 24 are dropped.
        for (var i = 0; i < Sent; i++)
        {
            await sender.SendToAsync(Sequence(i), receiver.LocalEndPoint, ct);
        }

        await receiver.WaitForReceivedAsync(Sent).WaitAsync(ct);

        receiver.DatagramsReceived.Should().Be(Sent, "all of them reached the loop: the kernel dropped none");
        receiver.DatagramsDropped.Should().Be(Sent - Capacity);

        // Drop newest: what waits is the first eight, in order; then reading goes on with new datagrams.
        var read = new List<int>();
        await foreach (var datagram in receiver.ReadAllAsync(ct))
        {
            read.Add(BinaryPrimitives.ReadInt32BigEndian(datagram.Payload.Span));
            if (read.Count == Capacity)
            {
                await sender.SendToAsync(Sequence(1000), receiver.LocalEndPoint, ct);
            }

            if (read.Count == Capacity + 1)
            {
                break;
            }
        }

        read.Should().Equal([.. Enumerable.Range(0, Capacity), 1000]);
        receiver.DatagramsDropped.Should().Be(Sent - Capacity);
    }

    [Fact]
    public async Task Drops_ManyWithinOneSecond_OneWarningThenOnePerSecondWithTheCountSince()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        using var loggerFactory = new LoggerFactory();
        var collector = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(collector));
        await using var receiver = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions
        {
            ReceiveQueueCapacity = 1,
            TimeProvider = time,
            LoggerFactory = loggerFactory,
        });
        await using var sender = DatagramTestHelpers.BindLoopback();

        for (var i = 0; i < 6; i++)
        {
            await sender.SendToAsync(Sequence(i), receiver.LocalEndPoint, ct);
        }

        await receiver.WaitForReceivedAsync(6).WaitAsync(ct);
        DropWarnings(collector).Should().ContainSingle().Which.Should().Contain("1 datagrams dropped since the last report, 1 in all");

        time.Advance(TimeSpan.FromSeconds(1));
        await sender.SendToAsync(Sequence(6), receiver.LocalEndPoint, ct);
        await receiver.WaitForReceivedAsync(7).WaitAsync(ct);

        receiver.DatagramsDropped.Should().Be(6);
        DropWarnings(collector).Should().HaveCount(2)
            .And.Subject.Last().Should().Contain("5 datagrams dropped since the last report, 6 in all");
    }

    private static byte[] Sequence(int value)
    {
        var payload = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(payload, value);
        return payload;
    }

    private static List<string> DropWarnings(FakeLogCollector collector)
        => [.. collector.GetSnapshot().Where(r => r.Id.Id == 502 && r.Level == LogLevel.Warning).Select(r => r.Message)];
}
