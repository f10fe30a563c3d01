using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;

namespace TcpToolkit.Hosting.Tests;

/// <summary>
/// The host's stop drains the server: handlers finish what they started until the host's shutdown timeout, then the
/// rest are aborted, and the stop is bounded even when a handler ignores everything.
/// </summary>
public sealed class HostShutdownTests
{
    [Fact]
    public async Task StopAsync_ConnectionMidRequest_GetsItsReplyWhileTheHostStops()
    {
        var ct = TestTimeouts.Token();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = BuildHost(
            shutdownTimeout: TestTimeouts.Default,
            async (connection, token) =>
            {
                var request = new byte[7];
                int read;
                for (var got = 0; got < request.Length; got += read)
                {
                    read = await connection.ReceiveAsync(request.AsMemory(got), token);
                    if (read == 0)
                    {
                        throw new EndOfStreamException();
                    }
                }

                received.SetResult();

                // Mid-request when the host stops: the token says "finish up", the handler finishes this reply.
                using var registration = token.Register(() => stopping.TrySetResult());
                await finish.Task;
                await connection.SendAsync(Encoding.ASCII.GetBytes("reply to " + Encoding.ASCII.GetString(request)), CancellationToken.None);
            });
        await host.StartAsync(ct);
        using var client = await TestHosts.ConnectAsync(host.TcpServer().LocalEndPoints[0], ct);
        await client.SendAsync("request"u8.ToArray(), SocketFlags.None, ct);
        await received.Task.WaitAsync(ct);

        var stop = host.StopAsync(ct);
        await stopping.Task.WaitAsync(ct);
        stop.IsCompleted.Should().BeFalse("the server waits for the handler that is still working");
        finish.SetResult();
        var reply = await TestHosts.ReadToEndOrResetAsync(client, ct);
        await stop.WaitAsync(ct);

        reply.Should().Be("reply to request");
        host.TcpServer().StopResult.Should().Be(new Transport.ServerStopResult(DrainedConnections: 1, AbortedConnections: 0));
    }

    [Fact]
    public async Task StopAsync_HandlerStillWorkingAtTheHostsShutdownTimeout_IsAborted()
    {
        var ct = TestTimeouts.Token();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = BuildHost(
            shutdownTimeout: TimeSpan.FromMilliseconds(200),
            async (connection, _) =>
            {
                started.SetResult();
                try
                {
                    // Deaf to the stop token: only the abort at the host's shutdown timeout ends this read.
                    await connection.Input.ReadAsync(CancellationToken.None);
                    ended.SetResult(null);
                }
                catch (Exception ex)
                {
                    ended.SetResult(ex);
                    throw;
                }
            },
            out var logs);
        await host.StartAsync(ct);
        using var client = await TestHosts.ConnectAsync(host.TcpServer().LocalEndPoints[0], ct);
        await started.Task.WaitAsync(ct);

        await host.StopAsync(ct);

        (await ended.Task.WaitAsync(ct)).Should().BeOfType<ConnectionAbortedException>();
        host.TcpServer().StopResult.Should().Be(new Transport.ServerStopResult(DrainedConnections: 0, AbortedConnections: 1));
        (await TestHosts.ReadToEndOrResetAsync(client, ct)).Should().BeEmpty();
        logs.GetSnapshot().Should().Contain(r => r.Id.Id == 901 && r.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task StopAsync_HandlerIgnoresEvenItsAbort_TheHostsStopStillEnds()
    {
        var ct = TestTimeouts.Token();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = BuildHost(
            shutdownTimeout: TimeSpan.FromMilliseconds(100),
            async (_, _) =>
            {
                started.SetResult();
                await never.Task;   // no I/O, no token: nothing the server does reaches it
            },
            out var logs,
            closeTimeout: "00:00:00.2");
        await host.StartAsync(ct);
        using var client = await TestHosts.ConnectAsync(host.TcpServer().LocalEndPoints[0], ct);
        await started.Task.WaitAsync(ct);

        await host.StopAsync(ct);

        host.TcpServer().IsListening.Should().BeFalse();
        host.TcpServer().StopResult.Should().BeNull("the server's own stop waits for the handler; the host does not");
        logs.GetSnapshot().Should().Contain(r => r.Id.Id == 902 && r.Level == LogLevel.Warning);
        never.SetResult();
    }

    [Fact]
    public async Task DisposeAsync_HostDisposedWithoutStop_AbortsTheConnections()
    {
        var ct = TestTimeouts.Token();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = BuildHost(
            shutdownTimeout: TestTimeouts.Default,
            async (connection, token) =>
            {
                started.SetResult();
                await connection.Input.ReadAsync(token);
            });
        await host.StartAsync(ct);
        using var client = await TestHosts.ConnectAsync(host.TcpServer().LocalEndPoints[0], ct);
        await started.Task.WaitAsync(ct);
        var server = host.TcpServer();

        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(ct);

        server.IsListening.Should().BeFalse();
        (await TestHosts.ReadToEndOrResetAsync(client, ct)).Should().BeEmpty();
    }

    private static IHost BuildHost(TimeSpan shutdownTimeout, ConnectionHandler handler) => BuildHost(shutdownTimeout, handler, out _);

    private static IHost BuildHost(TimeSpan shutdownTimeout, ConnectionHandler handler, out FakeLogCollector logs, string? closeTimeout = null)
    {
        var settings = new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" };
        if (closeTimeout is not null)
        {
            settings["TcpServer:CloseTimeout"] = closeTimeout;
        }

        var host = TestHosts.Build(settings, server => server.UseHandler(handler), builder =>
        {
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
            builder.Logging.AddFakeLogging();
        });
        logs = host.Services.GetFakeLogCollector();
        return host;
    }
}
