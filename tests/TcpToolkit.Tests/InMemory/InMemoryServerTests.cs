using System.Buffers;
using System.IO.Pipelines;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.InMemory;

namespace TcpToolkit.Tests.InMemory;

/// <summary>
/// The in-memory transport behaves as a TCP connection does (EOF, half-close, reset, backpressure, close reasons,
/// callbacks off the closing call), and the in-memory server as a server does (stop, handler faults, middleware).
/// </summary>
public sealed class InMemoryServerTests
{
    // The pair's pause threshold: a flush waits while this much is unread.
    private const int PauseThreshold = 64 * 1024;

    [Fact]
    public async Task ConnectAsync_EchoHandler_BytesComeBackAndEndOfStreamFollowsTheClientsFin()
    {
        var ct = Deadline();
        await using var server = new InMemoryServer(EchoAsync);
        await using var client = await server.ConnectAsync(ct);

        await client.SendAsync("hello, "u8.ToArray(), ct);
        await client.SendAsync("world"u8.ToArray(), ct);
        await client.Output.CompleteAsync();

        (await ReadToEndAsync(client.Input, ct)).Should().Equal("hello, world"u8.ToArray());
    }

    [Fact]
    public async Task ConnectAsync_ThroughTheConnectionFactoryInterface_IgnoresTheEndPointAndConnects()
    {
        var ct = Deadline();
        await using var server = new InMemoryServer(EchoAsync);
        IConnectionFactory factory = server;

        await using var client = await factory.ConnectAsync(new System.Net.DnsEndPoint("anything", 1), ct);
        await client.SendAsync("x"u8.ToArray(), ct);
        await client.Output.CompleteAsync();

        (await ReadToEndAsync(client.Input, ct)).Should().Equal("x"u8.ToArray());
    }

    [Fact]
    public async Task CompleteOutput_HalfClose_PeerReadsEndOfStreamAndTheOtherDirectionStillWorks()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using (client)
        await using (server)
        {
            await client.SendAsync("request"u8.ToArray(), ct);
            await client.Output.CompleteAsync();

            (await ReadToEndAsync(server.Input, ct)).Should().Equal("request"u8.ToArray());
            await server.SendAsync("reply after the client's FIN"u8.ToArray(), ct);
            await server.Output.CompleteAsync();

            (await ReadToEndAsync(client.Input, ct)).Should().Equal("reply after the client's FIN"u8.ToArray());
            client.CloseReason.Should().Be(CloseReason.None, "a half-close does not close the connection");
            server.CloseReason.Should().Be(CloseReason.None);
        }
    }

    [Fact]
    public async Task Abort_PendingAndLaterReads_PeerGetsResetAndOwnSideGetsAborted()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using (client)
        await using (server)
        {
            var pendingOnServer = server.Input.ReadAsync(ct).AsTask();
            var pendingOnClient = client.Input.ReadAsync(ct).AsTask();

            client.Abort("test: reset");

            await pendingOnServer.Invoking(t => t.WaitAsync(ct)).Should().ThrowAsync<ConnectionResetException>();
            await pendingOnClient.Invoking(t => t.WaitAsync(ct)).Should().ThrowAsync<ConnectionAbortedException>()
                .WithMessage("test: reset");
            await server.Invoking(s => s.ReceiveAsync(new byte[1], ct).AsTask()).Should().ThrowAsync<ConnectionResetException>();
            await client.Invoking(c => c.ReceiveAsync(new byte[1], ct).AsTask()).Should().ThrowAsync<ConnectionAbortedException>();
            await server.Invoking(s => s.SendAsync(new byte[1], ct).AsTask()).Should().ThrowAsync<ConnectionResetException>();
            await client.Invoking(c => c.SendAsync(new byte[1], ct).AsTask()).Should().ThrowAsync<ConnectionAbortedException>();
        }
    }

    [Fact]
    public async Task Abort_OwnFlushWaitingForThePeerToRead_FailsWithConnectionAbortedException()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using (client)
        await using (server)
        {
            var flush = WriteAndFlush(client.Output, PauseThreshold + 1, ct);
            flush.IsCompleted.Should().BeFalse("the server reads nothing, so the flush waits");

            client.Abort("test: abort while sending");

            await flush.Invoking(f => f.WaitAsync(ct)).Should().ThrowAsync<ConnectionAbortedException>();
        }
    }

    [Fact]
    public async Task Abort_PeersFlushWaitingForUsToRead_FailsWithConnectionResetException()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using (client)
        await using (server)
        {
            var flush = WriteAndFlush(server.Output, PauseThreshold + 1, ct);
            flush.IsCompleted.Should().BeFalse("the client reads nothing, so the flush waits");

            client.Abort("test: abort while the peer sends");

            await flush.Invoking(f => f.WaitAsync(ct)).Should().ThrowAsync<ConnectionResetException>();
        }
    }

    [Fact]
    public async Task Flush_SixtyFourKiBUnread_WaitsUntilThePeerReads()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using (client)
        await using (server)
        {
            WriteAndFlush(client.Output, 1024, ct).IsCompleted.Should().BeTrue("1 KiB unread is below the threshold");
            var flush = WriteAndFlush(client.Output, PauseThreshold, ct);
            flush.IsCompleted.Should().BeFalse("65 KiB are unread");

            var read = await server.Input.ReadAsync(ct);
            read.Buffer.Length.Should().Be(PauseThreshold + 1024);
            flush.IsCompleted.Should().BeFalse("nothing is consumed yet");
            server.Input.AdvanceTo(read.Buffer.End);

            var result = await flush.WaitAsync(ct);
            result.IsCompleted.Should().BeFalse();
            result.IsCanceled.Should().BeFalse();
        }
    }

    [Fact]
    public async Task CloseReason_GracefulCloseOnEachSide_LocalCloseThenRemoteClose()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();

        client.CloseReason.Should().Be(CloseReason.None);
        await client.CloseAsync(ct);
        (await ReadToEndAsync(server.Input, ct)).Should().BeEmpty();
        await server.CloseAsync(ct);

        client.CloseReason.Should().Be(CloseReason.LocalClose);
        server.CloseReason.Should().Be(CloseReason.RemoteClose, "the client's FIN came first");
        await WhenClosedAsync(client).WaitAsync(ct);
        await WhenClosedAsync(server).WaitAsync(ct);
    }

    [Fact]
    public async Task CloseReason_Abort_LocalAbortHereAndRemoteResetOnThePeer()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();

        client.Abort();

        client.CloseReason.Should().Be(CloseReason.LocalAbort);
        server.CloseReason.Should().Be(CloseReason.RemoteReset);
        await WhenClosedAsync(client).WaitAsync(ct);
        await WhenClosedAsync(server).WaitAsync(ct);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task CloseReason_AbortWithAReasonThenClose_TheFirstReasonIsKept()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using (server)
        {
            client.Abort(CloseReason.MiddlewareError, "test: handshake failed");
            client.Abort(CloseReason.IdleTimeout, "a second abort");
            await client.CloseAsync(ct);

            client.CloseReason.Should().Be(CloseReason.MiddlewareError);
            server.CloseReason.Should().Be(CloseReason.RemoteReset);
        }
    }

    [Fact]
    public async Task Abort_AfterBothSidesClosed_DoesNotThrowAndKeepsTheReasons()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await client.CloseAsync(ct);
        await server.CloseAsync(ct);

        client.Abort();
        server.Abort();

        client.CloseReason.Should().Be(CloseReason.LocalClose);
        server.CloseReason.Should().Be(CloseReason.LocalClose, "neither side read the other's FIN before closing");
    }

    [Fact]
    public async Task ConnectionClosed_Abort_CallbacksRunAfterAbortReturnedOnBothEnds()
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        using var gate = new ManualResetEventSlim();
        var clientCallback = ObserveCallback(client, gate);
        var serverCallback = ObserveCallback(server, gate);

        // Were a callback run inline, Abort would not return before the gate's wait timed out.
        client.Abort("test: abort");
        gate.Set();

        (await clientCallback.WaitAsync(ct)).Should().BeTrue("the callback ran after Abort returned, not inside it");
        (await serverCallback.WaitAsync(ct)).Should().BeTrue("the peer's callback ran after Abort returned, not inside it");
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task StopAsync_HandlerIgnoresItsToken_AbortedWithServerShutdownWhenTheCallersTokenFires()
    {
        var ct = Deadline();
        var started = new TaskCompletionSource<(Connection Connection, CancellationToken Stopping)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerEnded = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new InMemoryServer(async (connection, stopping) =>
        {
            started.SetResult((connection, stopping));
            try
            {
                // Ignores the stop signal: waits for bytes that never come.
                await connection.Input.ReadAsync(CancellationToken.None);
                handlerEnded.SetResult(null);
            }
            catch (Exception ex)
            {
                handlerEnded.SetResult(ex);
                throw;
            }
        });
        await using var client = await server.ConnectAsync(ct);
        var (serverSide, handlerToken) = await started.Task.WaitAsync(ct);
        using var grace = new CancellationTokenSource();

        var stop = server.StopAsync(grace.Token);
        await WhenCancelledAsync(handlerToken).WaitAsync(ct);
        stop.IsCompleted.Should().BeFalse("the handler has not returned and the caller's token has not fired");
        handlerEnded.Task.IsCompleted.Should().BeFalse();
        await grace.CancelAsync();
        await stop.WaitAsync(ct);

        (await handlerEnded.Task.WaitAsync(ct)).Should().BeOfType<ConnectionAbortedException>();
        serverSide.CloseReason.Should().Be(CloseReason.ServerShutdown);
        await client.Invoking(c => c.ReceiveAsync(new byte[1], ct).AsTask()).Should().ThrowAsync<ConnectionResetException>();
        await server.Invoking(s => s.ConnectAsync(ct).AsTask()).Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task StopAsync_HandlerHonoursItsToken_CompletesWithoutTheCallersToken()
    {
        var ct = Deadline();
        var started = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new InMemoryServer(async (connection, stopping) =>
        {
            started.SetResult(connection);
            await Task.Delay(Timeout.InfiniteTimeSpan, stopping);
        });
        await using var client = await server.ConnectAsync(ct);
        var serverSide = await started.Task.WaitAsync(ct);

        await server.StopAsync(CancellationToken.None).WaitAsync(ct);

        server.ConnectionCount.Should().Be(0);
        serverSide.CloseReason.Should().Be(CloseReason.LocalClose);
        (await ReadToEndAsync(client.Input, ct)).Should().BeEmpty("the server closed gracefully");
    }

    [Fact]
    public async Task DisposeAsync_CalledTwiceAndStopAfterwards_DoNotThrow()
    {
        var server = new InMemoryServer(EchoAsync);
        await server.DisposeAsync();

        await server.Invoking(s => s.DisposeAsync().AsTask()).Should().NotThrowAsync();
        await server.Invoking(s => s.StopAsync()).Should().NotThrowAsync();
    }

    [Fact]
    public async Task Handler_ThrowsAFramingException_ConnectionClosedWithProtocolError()
    {
        var ct = Deadline();
        var served = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new InMemoryServer((connection, _) =>
        {
            served.SetResult(connection);
            throw new InvalidFrameException("test: a bad frame");
        });
        await using var client = await server.ConnectAsync(ct);
        var serverSide = await served.Task.WaitAsync(ct);

        await WhenClosedAsync(serverSide).WaitAsync(ct);

        serverSide.CloseReason.Should().Be(CloseReason.ProtocolError);
        await client.Invoking(c => c.ReceiveAsync(new byte[1], ct).AsTask()).Should().ThrowAsync<ConnectionResetException>();
    }

    [Fact]
    public async Task Handler_ThrowsAnotherException_ConnectionClosedWithHandlerFault()
    {
        var ct = Deadline();
        var served = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new InMemoryServer((connection, _) =>
        {
            served.SetResult(connection);
            throw new InvalidOperationException("test: a bug in the handler");
        });
        await using var client = await server.ConnectAsync(ct);
        var serverSide = await served.Task.WaitAsync(ct);

        await WhenClosedAsync(serverSide).WaitAsync(ct);

        serverSide.CloseReason.Should().Be(CloseReason.HandlerFault);
    }

    [Fact]
    public async Task Middleware_TwoLayers_WrapTheHandlerOutermostFirstAndSeeItsConnection()
    {
        var ct = Deadline();
        var order = new List<string>();
        var unwound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new InMemoryServer(async (connection, stopping) =>
        {
            Record("handler:" + connection.GetFeature<string>());
            await EchoAsync(connection, stopping);
        });
        server.Middleware
            .Use(next => async (connection, stopping) =>
            {
                Record("outer");
                connection.SetFeature("set by outer");
                await next(connection, stopping);
                Record("outer after");
                unwound.SetResult();
            })
            .Use(next => async (connection, stopping) =>
            {
                Record("inner");
                await next(connection, stopping);
                Record("inner after");
            });
        await using var client = await server.ConnectAsync(ct);

        await client.SendAsync("ping"u8.ToArray(), ct);
        await client.Output.CompleteAsync();
        (await ReadToEndAsync(client.Input, ct)).Should().Equal("ping"u8.ToArray());
        await unwound.Task.WaitAsync(ct);

        lock (order)
        {
            order.Should().Equal("outer", "inner", "handler:set by outer", "inner after", "outer after");
        }

        void Record(string step)
        {
            lock (order)
            {
                order.Add(step);
            }
        }
    }

    [Fact]
    public async Task CloseAsync_LayerCompletesTheOutputBelowLater_ItsLastBytesArriveBeforeTheEnd()
    {
        // A layer may complete the output below only after an await (TLS sends close_notify first): CloseAsync must
        // wait for it instead of completing the pipe under it.
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        await using var clientEnd = client;
        await using var serverEnd = server;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var below = client.Transport;
        var layer = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var pump = Task.Run(
            async () =>
            {
                var result = await layer.Reader.ReadAsync(ct);
                await release.Task.WaitAsync(ct);
                foreach (var segment in result.Buffer)
                {
                    below.Output.Write(segment.Span);
                }

                layer.Reader.AdvanceTo(result.Buffer.End);
                await below.Output.FlushAsync(ct);
                await below.Output.CompleteAsync();
            },
            ct);
        client.Transport = new TcpToolkit.Connections.Internal.DuplexPipe(below.Input, layer.Writer);
        await client.Output.WriteAsync("last bytes"u8.ToArray(), ct);

        var closing = client.CloseAsync(ct);
        release.SetResult();
        await closing.WaitAsync(ct);

        (await ReadToEndAsync(server.Input, ct)).Should().Equal("last bytes"u8.ToArray());
        await pump.WaitAsync(ct);
        client.CloseReason.Should().Be(CloseReason.LocalClose);
    }

    /// <summary>A token that fires after the default test timeout, so no wait is unbounded.</summary>
    private static CancellationToken Deadline()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TestTimeouts.Default);
        return source.Token;
    }

    private static Task<FlushResult> WriteAndFlush(PipeWriter output, int length, CancellationToken ct)
    {
        output.Write(new byte[length]);
        return output.FlushAsync(ct).AsTask();
    }

    private static async Task EchoAsync(Connection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await connection.Input.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                connection.Output.Write(segment.Span);
            }

            connection.Input.AdvanceTo(result.Buffer.End);
            await connection.Output.FlushAsync(cancellationToken);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                received.AddRange(segment.ToArray());
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return [.. received];
            }
        }
    }

    private static Task WhenClosedAsync(Connection connection) => WhenCancelledAsync(connection.ConnectionClosed);

    private static Task WhenCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.UnsafeRegister(static state => ((TaskCompletionSource)state!).SetResult(), cancelled);
        return cancelled.Task;
    }

    /// <summary>
    /// A ConnectionClosed callback that blocks until <paramref name="gate"/> is set; the task says whether the gate was
    /// set in time (false means the callback ran inside the call that closed, which then could not return to set it).
    /// </summary>
    private static Task<bool> ObserveCallback(Connection connection, ManualResetEventSlim gate)
    {
        var observed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionClosed.Register(() => observed.SetResult(gate.Wait(TestTimeouts.Default)));
        return observed.Task;
    }
}
