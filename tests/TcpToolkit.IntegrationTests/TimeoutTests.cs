using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Transport;
using static TcpToolkit.IntegrationTests.ServerLifecycleTests;

namespace TcpToolkit.IntegrationTests;

/// <summary>The server heartbeat's rules over real sockets, with time driven by a <see cref="FakeTimeProvider"/>.</summary>
public sealed class TimeoutTests
{
    [Fact]
    public async Task IdleTimeout_PeerSilentTooLong_IsClosedWithIdleTimeout()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var observed = new ServerSideConnection();
        await using var server = await TestServers.StartAsync(
            observed.WrapHandler(TestServers.EchoAsync),
            options =>
            {
                options.TimeProvider = time;
                options.IdleTimeout = TimeSpan.FromSeconds(10);
            });
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await connection.SendAsync("x"u8.ToArray(), ct);
        (await ReadExactlyAsync(connection, 1, ct)).Should().Equal("x"u8.ToArray());
        await observed.Started.WaitAsync(ct);

        AdvanceInSteps(time, TimeSpan.FromSeconds(8));
        observed.Closed.IsCompleted.Should().BeFalse("8 s of silence is within the 10 s idle timeout");
        await connection.SendAsync("y"u8.ToArray(), ct);
        (await ReadExactlyAsync(connection, 1, ct)).Should().Equal("y"u8.ToArray());
        AdvanceInSteps(time, TimeSpan.FromSeconds(8));
        observed.Closed.IsCompleted.Should().BeFalse("activity restarted the idle clock");

        AdvanceInSteps(time, TimeSpan.FromSeconds(5));

        (await observed.Closed.WaitAsync(ct)).Should().Be(CloseReason.IdleTimeout);
        (await ReadToEndOrResetAsync(connection, ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task FirstByteTimeout_PeerConnectsAndSendsNothing_IsClosed()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var observed = new ServerSideConnection();
        await using var server = await TestServers.StartAsync(
            observed.WrapHandler(TestServers.EchoAsync),
            options =>
            {
                options.TimeProvider = time;
                options.FirstByteTimeout = TimeSpan.FromSeconds(2);
            });
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await observed.Started.WaitAsync(ct);

        AdvanceInSteps(time, TimeSpan.FromSeconds(3));

        (await observed.Closed.WaitAsync(ct)).Should().Be(CloseReason.FirstByteTimeout);
    }

    [Fact]
    public async Task MinReceiveDataRate_PeerTricklesAMessage_IsClosedAfterGrace_IdlePeerIsNot()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var trickler = new ServerSideConnection();
        var idle = new ServerSideConnection();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var which = 0;
        await using var server = await TestServers.StartAsync(
            (connection, stopping) => Interlocked.Increment(ref which) == 1
                ? trickler.WrapHandler(ReadHundredByteMessageAsync)(connection, stopping)
                : idle.WrapHandler(ReadHundredByteMessageAsync)(connection, stopping),
            options =>
            {
                options.TimeProvider = time;
                options.MinReceiveDataRate = new MinDataRate(bytesPerSecond: 100, gracePeriod: TimeSpan.FromSeconds(4));
            });
        await using var client = new TcpClient();
        await using var slow = await client.ConnectAsync(server.LocalEndPoint, ct);
        await trickler.Started.WaitAsync(ct);
        await using var quiet = await client.ConnectAsync(server.LocalEndPoint, ct);
        await idle.Started.WaitAsync(ct);

        // The start of a 100-byte message, then nothing: the handler examined it and waits for the rest.
        await slow.SendAsync(new byte[10], ct);
        await waiting.Task.WaitAsync(ct);
        AdvanceInSteps(time, TimeSpan.FromSeconds(6));

        (await trickler.Closed.WaitAsync(ct)).Should().Be(CloseReason.MinDataRate);
        idle.Closed.IsCompleted.Should().BeFalse("a connection that started no message is not measured");

        async Task ReadHundredByteMessageAsync(Connection connection, CancellationToken stopping)
        {
            while (true)
            {
                var result = await connection.Input.ReadAsync(stopping);
                if (result.Buffer.Length >= 100 || result.IsCompleted)
                {
                    connection.Input.AdvanceTo(result.Buffer.End);
                    return;
                }

                connection.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                waiting.TrySetResult();
            }
        }
    }

    [Fact]
    public async Task WriteTimeout_PeerStopsReading_IsClosedAndTheWriterFails()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var observed = new ServerSideConnection();
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writerError = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServers.StartAsync(
            observed.WrapHandler(async (connection, stopping) =>
            {
                var chunk = new byte[64 * 1024];
                try
                {
                    while (true)
                    {
                        connection.Output.Write(chunk);
                        var flush = connection.Output.FlushAsync(stopping);
                        if (!flush.IsCompleted)
                        {
                            stalled.TrySetResult();
                        }

                        await flush;
                    }
                }
                catch (Exception ex)
                {
                    writerError.TrySetResult(ex);
                    throw;
                }
            }),
            options =>
            {
                options.TimeProvider = time;
                options.WriteTimeout = TimeSpan.FromSeconds(30);
            });
        await using var client = new TcpClient(new TcpClientOptions { MaxReadBufferSize = 64 * 1024 });
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await stalled.Task.WaitAsync(ct);

        AdvanceInSteps(time, TimeSpan.FromSeconds(32));

        (await observed.Closed.WaitAsync(ct)).Should().Be(CloseReason.WriteTimeout);
        (await writerError.Task.WaitAsync(ct)).Should().BeOfType<ConnectionAbortedException>();
    }

    private static void AdvanceInSteps(FakeTimeProvider time, TimeSpan total)
    {
        // The heartbeat ticks at a quarter of the shortest timeout; advance tick by tick as real time would.
        var step = TimeSpan.FromMilliseconds(250);
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += step)
        {
            time.Advance(step);
        }
    }

    /// <summary>Captures the server side of a connection: when its handler starts and why it closed.</summary>
    private sealed class ServerSideConnection
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<CloseReason> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => _started.Task;

        public Task<CloseReason> Closed => _closed.Task;

        public ConnectionHandler WrapHandler(ConnectionHandler handler) =>
            (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() => _closed.TrySetResult(connection.CloseReason));
                _started.TrySetResult();
                return handler(connection, stopping);
            };
    }
}
