using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>
/// The idle timeout counts bytes in both directions (a half-closed peer that downloads is not idle) and never cuts a
/// connection that drains in CloseAsync (the close timeout bounds that). Time is a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class IdleTimeoutDirectionTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task HalfClosedPeerDownloads_IsNotIdle()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var closed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = new SemaphoreSlim(0);
        const int Chunks = 6;
        await using var server = await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() => closed.TrySetResult(connection.CloseReason));

                // The peer asks, then half-closes; the answer takes a while to produce, chunk by chunk.
                await TestServers.ReadToEndAsync(connection, stopping);
                for (var i = 0; i < Chunks; i++)
                {
                    await next.WaitAsync(stopping);
                    await connection.SendAsync(new byte[1024], stopping);
                }

                // Done when the test has looked.
                await next.WaitAsync(stopping);
            },
            options =>
            {
                options.TimeProvider = time;
                options.IdleTimeout = Idle;
            });
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        await connection.SendAsync("get"u8.ToArray(), ct);
        await connection.Output.CompleteAsync();

        // 6 chunks, one per second of (fake) time: 6 s without a byte received, three idle timeouts' worth.
        var received = 0;
        for (var i = 0; i < Chunks; i++)
        {
            next.Release();
            while (received < (i + 1) * 1024)
            {
                var result = await connection.Input.ReadAsync(ct);
                received += (int)result.Buffer.Length;
                connection.Input.AdvanceTo(result.Buffer.End);
            }

            AdvanceInSteps(time, TimeSpan.FromSeconds(1));
            closed.Task.IsCompleted.Should().BeFalse("the connection sent a chunk within every second (after {0} s)", i + 1);
        }

        next.Release();
        (await TestServers.ReadToEndAsync(connection, ct)).Should().BeEmpty();
        (await closed.Task.WaitAsync(ct)).Should().Be(CloseReason.RemoteClose, "the peer's FIN came first, then the server's close");
    }

    [Fact]
    public async Task ConnectionDrainsInCloseAsync_IdleTimeoutDoesNotCutIt()
    {
        var ct = TestServers.Timeout();
        var time = new FakeTimeProvider();
        var closed = new TaskCompletionSource<CloseReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        var payload = TestServers.RandomBytes(32 * 1024 * 1024, seed: 11);
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() => closed.TrySetResult(connection.CloseReason));

                // Buffer far more than the socket holds and return: the server's CloseAsync drains it.
                connection.Output.Write(payload);
                return Task.CompletedTask;
            },
            options =>
            {
                options.TimeProvider = time;
                options.IdleTimeout = Idle;
                options.CloseTimeout = TimeSpan.FromSeconds(30);
                options.MaxWriteBufferSize = null;
            });
        await using var client = new TcpClient(new TcpClientOptions { MaxReadBufferSize = 64 * 1024 });
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        // Read nothing yet: the drain stalls on a full socket. Three idle timeouts pass, within the close timeout.
        var first = await connection.Input.ReadAtLeastAsync(64 * 1024, ct);
        connection.Input.AdvanceTo(first.Buffer.Start, first.Buffer.End);
        AdvanceInSteps(time, TimeSpan.FromSeconds(6));
        closed.Task.IsCompleted.Should().BeFalse("a connection draining in CloseAsync is bounded by the close timeout, not the idle timeout");

        (await TestServers.ReadToEndAsync(connection, ct)).Should().Equal(payload);
        (await closed.Task.WaitAsync(ct)).Should().Be(CloseReason.LocalClose);
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
}
