using System.Net;
using System.Net.Sockets;
using TcpToolkit.Framing;
using TcpToolkit.Sessions;

namespace TcpToolkit.IntegrationTests.Sessions;

/// <summary>
/// Issue #16's must-show over real loopback sockets: a TcpServer with 1,000 sessions in one room, 10 of whose clients
/// never read (plain sockets with a 1 KiB receive buffer). The other 990 receive every message in order; the 10 fill
/// the kernel's buffers, the transport's write buffer, then their send queue, where the policy holds them to its bound.
/// </summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed class SlowMemberOverSocketsTests(ITestOutputHelper output)
{
    private const int Members = 1000;
    private const int NeverRead = 10;
    private const int Messages = 600;
    private const int Batch = 20;
    private const int QueueLimit = 32;
    private const long QueueByteLimit = 8 * 1024;
    private static readonly DelimiterFrameEncoder s_lines = new(DelimiterCodecOptions.LineFeed);

    private int _remaining;
    private int _batchLast;
    private int _outOfOrder;
    private TaskCompletionSource _batchArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task BroadcastToGroup_1000SocketMembersTenNeverRead_The990GetEveryMessageAndTheTenStayWithinTheBound()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TestTimeouts.Default * 6);
        var ct = deadline.Token;
        await using var registry = new SessionRegistry<object>(new SessionRegistryOptions
        {
            SendQueueLimit = QueueLimit,
            SendQueueByteLimit = QueueByteLimit,
            SendQueueFullPolicy = SendQueueFullPolicy.DropOldest,
        });
        var joined = 0;
        var allJoined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                connection.GetFeature<Session<object>>()!.Join("room");
                if (Interlocked.Increment(ref joined) == Members)
                {
                    allJoined.TrySetResult();
                }

                await TestServers.ReadToEndAsync(connection, stopping);
            },
            options =>
            {
                options.MaxWriteBufferSize = 4 * 1024;
                options.Middleware.Use(registry.Middleware);
            });
        var endPoint = (IPEndPoint)server.LocalEndPoint;
        var readers = new List<Socket>();
        var sleepers = new List<Socket>();
        try
        {
            for (var i = 0; i < Members; i++)
            {
                var sleeper = i % (Members / NeverRead) == 0;
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                if (sleeper)
                {
                    // A small window and a small segment size (TCP_MAXSEG, advertised in the SYN): loopback's 64 KiB
                    // segments would otherwise let the server's kernel buffer megabytes for a peer that never reads.
                    socket.ReceiveBufferSize = 1024;
                    socket.SetRawSocketOption(6 /* IPPROTO_TCP */, 2 /* TCP_MAXSEG */, BitConverter.GetBytes(536));
                }

                await socket.ConnectAsync(endPoint, ct);
                (sleeper ? sleepers : readers).Add(socket);
            }

            await allJoined.Task.WaitAsync(ct);
            var readLoops = readers.Select(s => Task.Run(() => CountLinesAsync(s, ct), ct)).ToList();
            var payload = new byte[200];
            payload.AsSpan().Fill((byte)'x');
            for (var first = 1; first <= Messages; first += Batch)
            {
                var last = Math.Min(first + Batch - 1, Messages);
                Volatile.Write(ref _remaining, readers.Count);
                _batchArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _batchLast, last);
                for (var seq = first; seq <= last; seq++)
                {
                    seq.TryFormat(payload, out _, "D6", System.Globalization.CultureInfo.InvariantCulture);
                    registry.BroadcastToGroup("room", s_lines, (ReadOnlyMemory<byte>)payload);
                }

                await _batchArrived.Task.WaitAsync(ct);
            }

            _outOfOrder.Should().Be(0, "every reader got every message, in order");
            var sessions = registry.GetGroupMembers("room");
            sessions.Should().HaveCount(Members, "DropOldest keeps the slow members connected");
            var slow = sessions.Where(s => s.DroppedMessageCount > 0).ToList();
            slow.Should().HaveCount(NeverRead, "exactly the 10 sleepers lost messages");
            slow.Select(s => s.Outbox.Queue.MaxBytes).Should().AllSatisfy(b => b.Should().BeLessThanOrEqualTo(QueueByteLimit));
            registry.DroppedMessageCount.Should().Be(slow.Sum(s => s.DroppedMessageCount));
            registry.LiveFrames.Should().BeLessThanOrEqualTo(NeverRead * QueueLimit);
            output.WriteLine($"990 socket readers got {Messages} messages each; the sleepers dropped {registry.DroppedMessageCount} " +
                $"(each {slow.Min(s => s.DroppedMessageCount)}-{slow.Max(s => s.DroppedMessageCount)}); largest sleeper queue " +
                $"{slow.Max(s => s.Outbox.Queue.MaxBytes)} bytes (bound {QueueByteLimit}); live frames {registry.LiveFrames}");

            foreach (var socket in readers.Concat(sleepers))
            {
                socket.Shutdown(SocketShutdown.Send);
            }

            await Task.WhenAll(readLoops).WaitAsync(ct);
        }
        finally
        {
            foreach (var socket in readers.Concat(sleepers))
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>Counts lines; the k-th line must be message k (its first six bytes).</summary>
    private async Task CountLinesAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var expected = 1;
        var position = 0;
        var digits = new byte[6];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return;
            }

            foreach (var b in buffer.AsSpan(0, read))
            {
                if (b == (byte)'\n')
                {
                    if (!int.TryParse(digits, System.Globalization.CultureInfo.InvariantCulture, out var seq) || seq != expected)
                    {
                        Interlocked.Increment(ref _outOfOrder);
                    }

                    if (expected == Volatile.Read(ref _batchLast) && Interlocked.Decrement(ref _remaining) == 0)
                    {
                        _batchArrived.TrySetResult();
                    }

                    expected++;
                    position = 0;
                }
                else if (position < digits.Length)
                {
                    digits[position++] = b;
                }
            }
        }
    }
}
