using System.IO.Pipelines;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// The transport's observable instruments: <c>io</c> bytes by direction, and <c>backpressure.time</c> measured on a
/// clock the test drives, so the figures are exact.
/// </summary>
public sealed class TransportMetricsTests
{
    [Fact]
    public async Task Io_EchoedFrames_BytesOnTheSocketByDirectionOnBothSides()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.EchoFramesAsync(count: 10, size: 100, ct);

        // The command byte, then ten frames of a 4-byte header and 100 bytes each way.
        scenario.Recorder.Observed(Names.ServerIo, ("network.io.direction", "receive")).Should().Be(1041);
        scenario.Recorder.Observed(Names.ServerIo, ("network.io.direction", "transmit")).Should().Be(1040);
        scenario.Recorder.Observed(Names.ClientIo, ("network.io.direction", "transmit")).Should().Be(1041);
        scenario.Recorder.Observed(Names.ClientIo, ("network.io.direction", "receive")).Should().Be(1040);
    }

    [Fact]
    public async Task Io_ConnectionStillOpen_CountedFromTheLiveConnection()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        await using var connection = await scenario.Client.ConnectAsync(scenario.Server.LocalEndPoint, ct);

        await connection.SendAsync("rhello"u8.ToArray(), ct);
        (await ServerLifecycleTests.ReadExactlyAsync(connection, 5, ct)).Should().Equal("hello"u8.ToArray());

        scenario.Recorder.Observed(Names.ClientIo, ("network.io.direction", "transmit")).Should().Be(6);
        scenario.Recorder.Observed(Names.ClientIo, ("network.io.direction", "receive")).Should().Be(5);
        scenario.Recorder.Observed(Names.ServerIo, ("network.io.direction", "receive")).Should().Be(6);
    }

    [Fact]
    public async Task BackpressureTime_ApplicationBehindMaxReadBufferSize_CountsThePausedReceive()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        var time = new SignallingTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var drained = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        const int Sent = 1024 * 1024;
        var server = await scenario.StartServerAsync(
            async (connection, stopping) =>
            {
                started.TrySetResult();
                await gate.Task.WaitAsync(stopping);
                drained.TrySetResult(await CountAsync(connection.Input, Sent, stopping));
            },
            options =>
            {
                options.TimeProvider = time;
                options.MaxReadBufferSize = 64 * 1024;
                options.MinReceiveDataRate = null;
            });
        await using var connection = await scenario.Client.ConnectAsync(server.LocalEndPoint, ct);
        await started.Task.WaitAsync(ct);

        // Nothing reads the server's input: the transport stops at 64 KiB, and reading its clock is the pause's start.
        var paused = time.NextReadAsync();
        var sending = connection.SendAsync(new byte[Sent], ct);
        await paused.WaitAsync(ct);
        time.Fake.Advance(TimeSpan.FromSeconds(5));
        gate.SetResult();
        (await drained.Task.WaitAsync(ct)).Should().Be(Sent);
        await sending;

        scenario.Recorder.Observed(Names.ServerBackpressure, ("network.io.direction", "receive")).Should().Be(5);
        scenario.Recorder.Observed(Names.ServerBackpressure, ("network.io.direction", "transmit")).Should().Be(0);
    }

    [Fact]
    public async Task BackpressureTime_PeerNotReading_CountsTheFlushWait()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        var time = new SignallingTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // More than loopback's socket buffers hold (a few MiB each way), so the send waits for the client to read.
        const int Size = 32 * 1024 * 1024;
        var server = await scenario.StartServerAsync(
            async (connection, stopping) =>
            {
                started.TrySetResult();
                await gate.Task.WaitAsync(stopping);
                await connection.Output.WriteAsync(new byte[Size], stopping);
                flushed.TrySetResult();
                await TestServers.EchoAsync(connection, stopping);
            },
            options =>
            {
                options.TimeProvider = time;
                options.MinReceiveDataRate = null;
            });
        await using var connection = await scenario.Client.ConnectAsync(server.LocalEndPoint, ct);
        await started.Task.WaitAsync(ct);

        // The write is over MaxWriteBufferSize (64 KiB): its flush waits, and the send loop's clock read starts the wait.
        var full = time.NextReadAsync();
        gate.SetResult();
        await full.WaitAsync(ct);
        time.Fake.Advance(TimeSpan.FromSeconds(5));
        (await CountAsync(connection.Input, Size, ct)).Should().Be(Size);
        await flushed.Task.WaitAsync(ct);

        scenario.Recorder.Observed(Names.ServerBackpressure, ("network.io.direction", "transmit")).Should().Be(5);
    }

    private static async Task<long> CountAsync(PipeReader input, long expected, CancellationToken ct)
    {
        long total = 0;
        while (total < expected)
        {
            var result = await input.ReadAsync(ct);
            total += result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return total;
    }
}
