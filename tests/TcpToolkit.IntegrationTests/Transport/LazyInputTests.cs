using System.IO.Pipelines;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Transport;

/// <summary>
/// A connection's input pipe is created at the first bytes from the peer (issue #17: an idle connection holds none).
/// Until then the input is a reader of its own; these tests hold it to the pipe's contract before any byte came:
/// a cancelled token, <c>CancelPendingRead</c>, <c>ReadAtLeastAsync</c>, completing the reader, and the end (FIN or
/// RST) arriving first. Real sockets on loopback, both engines.
/// </summary>
public sealed class LazyInputTests
{
    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task ReadAsync_TokenCancelledBeforeAnyByte_ThrowsAndTheNextReadGetsTheBytes(string engine)
    {
        var readCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            using var cancel = new CancellationTokenSource();
            var read = connection.Input.ReadAsync(cancel.Token);
            read.IsCompleted.Should().BeFalse("no byte has come yet");
            await cancel.CancelAsync();
            var act = async () => await read;
            await act.Should().ThrowAsync<OperationCanceledException>();
            readCancelled.TrySetResult();
            received.TrySetResult(await ReadTextAsync(connection.Input, 5, stopping));
        });

        using var peer = await ConnectAsync(server);
        await readCancelled.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        await peer.SendAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
        (await received.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken)).Should().Be("hello");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task CancelPendingRead_BeforeAnyByte_TheReadReturnsCanceledAndTheNextGetsTheBytes(string engine)
    {
        var readCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            // Before any read: the next read returns canceled at once, as a pipe's does.
            connection.Input.CancelPendingRead();
            var first = await connection.Input.ReadAsync(stopping);
            first.IsCanceled.Should().BeTrue();
            connection.Input.AdvanceTo(first.Buffer.Start);

            // While a read waits: it returns canceled.
            var pending = connection.Input.ReadAsync(stopping);
            pending.IsCompleted.Should().BeFalse("no byte has come yet");
            connection.Input.CancelPendingRead();
            var second = await pending;
            second.IsCanceled.Should().BeTrue();
            second.Buffer.IsEmpty.Should().BeTrue();
            connection.Input.AdvanceTo(second.Buffer.Start, second.Buffer.End);
            readCancelled.TrySetResult();
            received.TrySetResult(await ReadTextAsync(connection.Input, 5, stopping));
        });

        using var peer = await ConnectAsync(server);
        await readCancelled.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        await peer.SendAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
        (await received.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken)).Should().Be("hello");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task ReadAtLeastAsync_AsTheFirstRead_WaitsForTheMinimumAcrossSends(string engine)
    {
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            var result = await connection.Input.ReadAtLeastAsync(10, stopping);
            received.TrySetResult(result.Buffer.Length);
            connection.Input.AdvanceTo(result.Buffer.End);
        });

        using var peer = await ConnectAsync(server);
        await peer.SendAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
        await peer.SendAsync("world"u8.ToArray(), TestContext.Current.CancellationToken);
        (await received.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken)).Should().Be(10);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task CompleteInput_BeforeAnyByte_TheOutputStillReachesThePeer(string engine)
    {
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            await connection.Input.CompleteAsync();
            var act = async () => await connection.Input.ReadAsync(stopping);
            await act.Should().ThrowAsync<InvalidOperationException>("a completed reader cannot read");
            await connection.Output.WriteAsync("bye"u8.ToArray(), stopping);
        });

        using var peer = await ConnectAsync(server);

        // The peer's bytes after the completion are not wanted; the server's reply and FIN come all the same.
        await peer.SendAsync("ignored"u8.ToArray(), TestContext.Current.CancellationToken);
        (await ReadToEndAsync(peer)).Should().Be("bye");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task PeerSendsFinBeforeAnyByte_TheWaitingReadCompletes(string engine)
    {
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            var result = await connection.Input.ReadAsync(stopping);
            ended.TrySetResult(result.IsCompleted && result.Buffer.IsEmpty);
        });

        using var peer = await ConnectAsync(server);
        peer.Shutdown(SocketShutdown.Send);
        (await ended.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken)).Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task PeerResetsBeforeAnyByte_TheWaitingReadFailsWithConnectionReset(string engine)
    {
        var failure = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(engine, async (connection, stopping) =>
        {
            try
            {
                var read = connection.Input.ReadAsync(stopping);
                reading.TrySetResult();
                var result = await read;
                failure.TrySetResult(null);
            }
            catch (Exception ex)
            {
                failure.TrySetResult(ex);
            }
        });

        var peer = await ConnectAsync(server);
        await reading.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        peer.LingerState = new LingerOption(enable: true, seconds: 0);
        peer.Dispose();
        (await failure.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken)).Should().BeOfType<ConnectionResetException>();
    }

    private static Task<TcpServer> StartAsync(string engine, ConnectionHandler handler)
        => TestServers.StartAsync(handler, options => options.UseDotNetSocketEngine = engine == "dotnet");

    private static Task<Socket> ConnectAsync(TcpServer server) => TestServers.ConnectPeerAsync(server);

    private static async Task<string> ReadTextAsync(PipeReader input, int length, CancellationToken cancellationToken)
    {
        var result = await input.ReadAtLeastAsync(length, cancellationToken);
        var text = System.Text.Encoding.ASCII.GetString(System.Buffers.BuffersExtensions.ToArray(result.Buffer.Slice(0, length)));
        input.AdvanceTo(result.Buffer.GetPosition(length));
        return text;
    }

    private static async Task<string> ReadToEndAsync(Socket peer)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestTimeouts.Default);
        var all = new List<byte>();
        var buffer = new byte[256];
        int read;
        while ((read = await peer.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            all.AddRange(buffer.AsSpan(0, read));
        }

        return System.Text.Encoding.ASCII.GetString([.. all]);
    }
}
