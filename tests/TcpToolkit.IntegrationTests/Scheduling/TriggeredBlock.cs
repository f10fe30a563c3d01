using System.Buffers;
using TcpToolkit.Connections;
using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// The server side of the blocking-handler tests. A connection whose first byte is <see cref="Marker"/> waits for one
/// more byte (the trigger) with an <c>await</c> that cannot complete at once, so the code after it runs on the thread
/// that delivered the trigger (an I/O loop with the epoll engine), and runs the test's blocking code there. Any other
/// connection is echoed, so pingers can share the server.
/// </summary>
internal sealed class TriggeredBlock
{
    public const byte Marker = (byte)'B';

    /// <summary>Sent back when a trigger arrived off the I/O loop and <see cref="RequireLoopThread"/> asks for another.</summary>
    public const byte Retry = (byte)'R';

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Gets or sets whether the block must run on an I/O loop thread (tests of the loop's handoff): a trigger delivered
    /// elsewhere is answered with <see cref="Retry"/> and the peer sends another.
    /// </summary>
    public bool RequireLoopThread { get; init; }

    /// <summary>Gets a task that completes when the blocking connection waits for its trigger.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Gets a task that completes with the name of the thread the blocking code runs on, as it starts.</summary>
    public Task<string> Started => _started.Task;

    /// <summary>Gets a task that completes when the blocking code returned.</summary>
    public Task Ended => _ended.Task;

    /// <summary>The handler: <paramref name="block"/> runs after the trigger, on the thread that delivered it.</summary>
    public ConnectionHandler Handler(Action<Connection, CancellationToken> block) => async (connection, stopping) =>
    {
        var first = await connection.Input.ReadAsync(stopping);
        if (first.Buffer.IsEmpty || first.Buffer.FirstSpan[0] != Marker)
        {
            foreach (var segment in first.Buffer)
            {
                connection.Output.Write(segment.Span);
            }

            connection.Input.AdvanceTo(first.Buffer.End);
            await connection.Output.FlushAsync(stopping);
            if (!first.IsCompleted)
            {
                await TestServers.EchoAsync(connection, stopping);
            }

            return;
        }

        connection.Input.AdvanceTo(first.Buffer.GetPosition(1));
        var trigger = connection.Input.ReadAsync(stopping);
        _ready.TrySetResult();
        var result = await trigger;
        connection.Input.AdvanceTo(result.Buffer.End);
        while (RequireLoopThread && !EpollLoop.IsLoopThread && !result.IsCompleted)
        {
            // The trigger overtook the receive loop before it went back to waiting on its I/O loop, so it was
            // delivered on the thread the loop was still running on: ask the peer for another trigger.
            await connection.Output.WriteAsync(new[] { Retry }, stopping);
            result = await connection.Input.ReadAsync(stopping);
            connection.Input.AdvanceTo(result.Buffer.End);
        }

        _started.TrySetResult(Thread.CurrentThread.Name ?? "(unnamed)");
        try
        {
            block(connection, stopping);
        }
        finally
        {
            _ended.TrySetResult();
        }

        // Tell the peer it is over, then wait for its FIN.
        await connection.Output.WriteAsync("E"u8.ToArray(), stopping);
        await TestServers.ReadToEndAsync(connection, stopping);
    };
}
