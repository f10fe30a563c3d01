using System.Buffers;
using System.Buffers.Text;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Sessions;
using static TcpToolkit.Tests.Sessions.SessionHarness;

namespace TcpToolkit.Tests.Sessions;

/// <summary>
/// Issue #16's must-show: a broadcast to 1,000 members of which 10 never read. The other 990 receive every message in
/// order, the 10 are handled by the policy (dropped oldest, dropped newest, or disconnected), nothing is dropped for
/// the 990, and what the 10 cost stays within the queue's bound.
/// </summary>
/// <remarks>Alone (no test beside it): 2,000 connections and 990 busy readers would starve the tests that run beside them.</remarks>
[Collection(AllocationMeasurements.Name)]
public sealed class SlowMemberTests(ITestOutputHelper output)
{
    private const int Members = 1000;
    private const int NeverRead = 10;
    private const int Messages = 1500;
    private const int Batch = 25;
    private const int QueueLimit = 64;
    private const long QueueByteLimit = 8 * 1024;

    private int _remaining;
    private TaskCompletionSource _batchArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _batchLast;
    private int _readerErrors;
    private string? _firstReaderError;

    [Theory]
    [InlineData(SendQueueFullPolicy.DropOldest)]
    [InlineData(SendQueueFullPolicy.DropNewest)]
    [InlineData(SendQueueFullPolicy.Disconnect)]
    public async Task Broadcast_1000MembersTenNeverRead_The990GetEveryMessageAndTheTenStayWithinTheBound(SendQueueFullPolicy policy)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TestTimeouts.Default * 6);
        var ct = deadline.Token;
        await using var harness = new SessionHarness(new SessionRegistryOptions
        {
            SendQueueLimit = QueueLimit,
            SendQueueByteLimit = QueueByteLimit,
            SendQueueFullPolicy = policy,
        });
        var readers = new List<(Connection Client, Session<Member> Session)>();
        var sleepers = new List<(Connection Client, Session<Member> Session)>();
        for (var i = 0; i < Members; i++)
        {
            var member = await harness.ConnectAsync(ct);
            member.Session.Join("room");
            (i % (Members / NeverRead) == 0 ? sleepers : readers).Add(member);
        }

        sleepers.Should().HaveCount(NeverRead);
        var readLoops = readers.Select(r => Task.Run(() => ReadAllAsync(r.Client, ct), ct)).ToList();
        var payload = new byte[112];
        payload.AsSpan().Fill((byte)'x');

        // Batches paced by the readers (an application that publishes at a rate its healthy members sustain); the
        // sleepers fall behind within the first few batches and stay behind.
        for (var first = 1; first <= Messages; first += Batch)
        {
            var last = Math.Min(first + Batch - 1, Messages);
            Volatile.Write(ref _remaining, readers.Count);
            _batchArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _batchLast, last);
            for (var seq = first; seq <= last; seq++)
            {
                Utf8Formatter.TryFormat(seq, payload, out _, new StandardFormat('D', 6));
                harness.Registry.BroadcastToGroup("room", Lines, (ReadOnlyMemory<byte>)payload);
            }

            await _batchArrived.Task.WaitAsync(ct);
        }

        _firstReaderError.Should().BeNull();
        _readerErrors.Should().Be(0);
        readers.Select(r => r.Session.DroppedMessageCount).Should().AllBeEquivalentTo(0L, "nothing is dropped for members that read");
        readers.Select(r => r.Session.Connection.CloseReason).Should().AllBeEquivalentTo(CloseReason.None);
        foreach (var (_, session) in sleepers)
        {
            session.Outbox.Queue.MaxBytes.Should().BeLessThanOrEqualTo(QueueByteLimit, "a sleeper's queue never holds more than its byte bound");
        }

        var sleeperDrops = sleepers.Sum(s => s.Session.DroppedMessageCount);
        harness.Registry.DroppedMessageCount.Should().Be(sleeperDrops, "every message not delivered is counted, and only the sleepers lost any");
        switch (policy)
        {
            case SendQueueFullPolicy.Disconnect:
                harness.Registry.DisconnectedSessionCount.Should().Be(NeverRead);
                sleepers.Select(s => s.Session.Connection.CloseReason).Should().AllBeEquivalentTo(CloseReason.LocalAbort);
                await Task.WhenAll(sleepers.Select(s => ClosedAsync(s.Session))).WaitAsync(ct);
                harness.Registry.GetGroupMemberCount("room").Should().Be(Members - NeverRead);
                break;
            default:
                harness.Registry.DisconnectedSessionCount.Should().Be(0);
                sleepers.Select(s => s.Session.DroppedMessageCount).Should().AllSatisfy(d => d.Should().BePositive());
                sleepers.Select(s => s.Session.QueuedMessageCount).Should().AllSatisfy(q => q.Should().BeLessThanOrEqualTo(QueueLimit));
                harness.Registry.GetGroupMemberCount("room").Should().Be(Members);
                break;
        }

        // What broadcasting holds now: at most the sleepers' queues (a frame shared by several queues counts once).
        harness.Registry.LiveFrames.Should().BeLessThanOrEqualTo(NeverRead * QueueLimit);
        output.WriteLine($"{policy}: {readers.Count} readers got {Messages} messages each; sleepers dropped {sleeperDrops} in all; " +
            $"largest sleeper queue {sleepers.Max(s => s.Session.Outbox.Queue.MaxBytes)} bytes (bound {QueueByteLimit}); live frames {harness.Registry.LiveFrames}");

        foreach (var (client, _) in readers.Concat(sleepers))
        {
            client.Abort();
        }

        await Task.WhenAll(readLoops).WaitAsync(ct);
    }

    private async Task ReadAllAsync(Connection client, CancellationToken cancellationToken)
    {
        var reader = new FrameReader(client.Input);
        var decoder = new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed);
        var expected = 1;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(decoder, cancellationToken);
                if (!result.HasFrame)
                {
                    return;
                }

                var seq = Parse(result.Frame);
                if (seq != expected)
                {
                    Interlocked.Increment(ref _readerErrors);
                    Interlocked.CompareExchange(ref _firstReaderError, $"{client.Id} expected {expected}, got {seq}", null);
                }

                expected = seq + 1;
                if (seq == Volatile.Read(ref _batchLast) && Interlocked.Decrement(ref _remaining) == 0)
                {
                    _batchArrived.TrySetResult();
                }
            }
        }
        catch (Exception ex) when (ex is ConnectionAbortedException or ConnectionResetException or OperationCanceledException)
        {
            // The test aborts every client at the end.
        }
    }

    private static int Parse(ReadOnlySequence<byte> frame)
    {
        Span<byte> digits = stackalloc byte[6];
        frame.Slice(0, 6).CopyTo(digits);
        return Utf8Parser.TryParse(digits, out int value, out _) ? value : -1;
    }
}
