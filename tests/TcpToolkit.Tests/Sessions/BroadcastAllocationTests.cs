using System.IO.Pipelines;
using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Sessions;
using TcpToolkit.Transport.Internal;
using static TcpToolkit.Tests.Sessions.SessionHarness;

namespace TcpToolkit.Tests.Sessions;

/// <summary>
/// No other test runs beside these: the allocation test counts every byte the process allocates, and the 1,000-member
/// tests would starve whatever ran beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurements
{
    public const string Name = "Sessions allocation measurements";
}

/// <summary>
/// Issue #16's must-show: in steady state a broadcast allocates nothing per member. The members are bare pipes over
/// the socket transport's pinned block pool (a pipe over the shared array pool allocates a buffer owner per segment,
/// which would blur the figure) drained by readers that allocate nothing; the whole process's allocations are counted
/// across many broadcasts, including the members' write loops on the thread pool.
/// </summary>
[Collection(AllocationMeasurements.Name)]
public sealed class BroadcastAllocationTests(ITestOutputHelper output)
{
    private const int Members = 1000;
    private const int Broadcasts = 200;
    private long _bytesLeft;
    private TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task Broadcast_SteadyState_AllocatesNothingPerMember()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TestTimeouts.Default * 3);
        var ct = deadline.Token;
        await using var registry = new SessionRegistry<Member>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = registry.Middleware(async (connection, _) => await release.Task);
        var members = Enumerable.Range(0, Members).Select(i => new PipeConnection("alloc-" + i)).ToList();
        var served = members.Select(m => pipeline(m, ct)).ToList();
        foreach (var member in members)
        {
            member.GetFeature<Session<Member>>()!.Join("room");
        }

        var readers = members.Select(m => Task.Run(() => DrainAsync(m.ToClient.Reader), ct)).ToList();
        var frame = Line("a message of some forty bytes, give or take");
        var frameBytes = frame.Length + 1;

        // Warm up: pools, the members' write loops, the thread pool's queues.
        await BroadcastAndWaitAsync(registry, frame, frameBytes, Broadcasts, ct);
        await BroadcastAndWaitAsync(registry, frame, frameBytes, Broadcasts, ct);

        // Five measured rounds; the least is the steady state (a round may still grow a pool or start a pool thread).
        var rounds = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await BroadcastAndWaitAsync(registry, frame, frameBytes, Broadcasts, ct);
            rounds.Add(GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        var allocated = rounds.Min();
        var deliveries = (long)Members * Broadcasts;
        output.WriteLine($"{Broadcasts} broadcasts to {Members} members ({deliveries} deliveries) per round: {string.Join(", ", rounds)} bytes allocated in the process; " +
            $"steady state {allocated} bytes, {(double)allocated / deliveries:F4} bytes per delivery");

        // One object per member and broadcast would be at least 24 bytes per delivery: 4.8 MB here.
        allocated.Should().BeLessThan(deliveries / 10, "a broadcast allocates nothing per member in steady state");

        release.SetResult();
        await Task.WhenAll(served).WaitAsync(ct);
        foreach (var member in members)
        {
            await member.ToClient.Writer.CompleteAsync();
        }

        await Task.WhenAll(readers).WaitAsync(ct);
    }

    private async Task BroadcastAndWaitAsync(SessionRegistry<Member> registry, ReadOnlyMemory<byte> frame, int frameBytes, int count, CancellationToken cancellationToken)
    {
        _allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _bytesLeft, (long)Members * frameBytes * count);
        for (var i = 0; i < count; i++)
        {
            registry.BroadcastToGroup("room", Lines, frame);
        }

        await _allArrived.Task.WaitAsync(cancellationToken);
    }

    private async Task DrainAsync(PipeReader reader)
    {
        while (true)
        {
            var result = await reader.ReadAsync();
            var length = result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (length > 0 && Interlocked.Add(ref _bytesLeft, -length) == 0)
            {
                _allArrived.TrySetResult();
            }

            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>A connection that is only a pipe to a reader in the test: nothing of a transport in between.</summary>
    private sealed class PipeConnection(string id) : Connection
    {
        private static readonly PipeOptions s_options = new(
            pool: new PinnedBlockMemoryPool(TimeProvider.System, blockSize: 4096), useSynchronizationContext: false);

        private readonly CancellationTokenSource _closed = new();
        private IDuplexPipe? _transport;

        public Pipe ToClient { get; } = new(s_options);

        public Pipe FromClient { get; } = new(s_options);

        public override string Id { get; } = id;

        public override IDuplexPipe Transport
        {
            get => _transport ??= new Duplex(FromClient.Reader, ToClient.Writer);
            set => _transport = value;
        }

        public override EndPoint? LocalEndPoint { get; set; }

        public override EndPoint? RemoteEndPoint { get; set; }

        public override CancellationToken ConnectionClosed => _closed.Token;

        public override CloseReason CloseReason => _closed.IsCancellationRequested ? CloseReason.LocalClose : CloseReason.None;

        public override Task CloseAsync(CancellationToken cancellationToken = default) => _closed.CancelAsync();

        public override void Abort(CloseReason reason, string? message) => _closed.Cancel();

        private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    }
}
