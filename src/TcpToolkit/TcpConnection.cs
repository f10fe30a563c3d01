using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Internal;

namespace TcpToolkit;

/// <summary>
/// One TCP connection: a duplex pipe over a socket. Read what the peer sent from <see cref="Input"/>, write to
/// <see cref="Output"/> and flush; or use the guide-style helpers <see cref="SendAsync"/> (<c>sendall</c>) and
/// <see cref="ReceiveAsync"/> (<c>recv</c>).
/// </summary>
/// <remarks>
/// Completing <see cref="Output"/> sends FIN after every pending byte (a half-close); the peer's FIN completes
/// <see cref="Input"/>. <see cref="CloseAsync"/> closes gracefully, <see cref="Abort(string?)"/> resets. Disposing closes
/// gracefully within the close timeout, then aborts.
/// </remarks>
public sealed partial class TcpConnection : IAsyncDisposable
{
    private static long s_lastId;

    private readonly SocketPump _pump;
    private readonly ConnectionInput _input;
    private readonly ConnectionSettings _settings;
    private readonly CancellationTokenSource _closedSource = new();
    private readonly Action<TcpConnection>? _onClosed;
    private Task? _closeTask;
    private int _closeReason;
    private int _closedSignalled;

    internal TcpConnection(Socket socket, ConnectionSettings settings, Action<TcpConnection>? onClosed = null, SocketIO? io = null)
    {
        _settings = settings;
        _onClosed = onClosed;
        Id = "tcp-" + Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        _pump = new SocketPump(socket, settings, Id, io);
        _input = new ConnectionInput(_pump.Input);
        Transport = new DuplexPipe(_input, _pump.Output);
        _acceptedTimestamp = settings.TimeProvider.GetTimestamp();
        _lastProgressTimestamp = _acceptedTimestamp;
        SocketLog.ConnectionOpened(settings.Logger, Id, LocalEndPoint?.ToString(), RemoteEndPoint?.ToString());
        _pump.Start();
        _ = ObserveTransportAsync();
    }

    /// <summary>Gets the identifier of this connection, unique in the process (for logs).</summary>
    public string Id { get; }

    /// <summary>Gets the local endpoint of the socket.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>Gets the remote endpoint of the socket (the peer).</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Gets the duplex pipe of the connection: <see cref="Input"/> and <see cref="Output"/> together.</summary>
    public IDuplexPipe Transport { get; }

    /// <summary>
    /// Gets the bytes the peer sent. The reader completes at the peer's FIN; a reset makes it throw
    /// <see cref="ConnectionResetException"/>, an abort on this side <see cref="ConnectionAbortedException"/>.
    /// </summary>
    public PipeReader Input => _input;

    /// <summary>
    /// Gets the writer for bytes to the peer. A flush waits while more than the maximum write buffer size is
    /// pending (the peer does not read). Completing it sends FIN after the pending bytes.
    /// </summary>
    public PipeWriter Output => _pump.Output;

    /// <summary>Gets a token that is cancelled when the connection is closed or aborted.</summary>
    public CancellationToken ConnectionClosed => _closedSource.Token;

    /// <summary>Gets why the connection closed, or <see cref="TcpToolkit.CloseReason.None"/> while it is open.</summary>
    public CloseReason CloseReason => (CloseReason)Volatile.Read(ref _closeReason);

    /// <summary>
    /// Sends all of <paramref name="data"/> (the guide's <c>sendall</c>): writes it to <see cref="Output"/> and
    /// flushes, waiting while the peer is slow to read.
    /// </summary>
    /// <param name="data">The bytes to send.</param>
    /// <param name="cancellationToken">Cancels the wait for the peer to drain the buffer.</param>
    /// <returns>A task that completes when the bytes are handed to the transport.</returns>
    /// <exception cref="ConnectionResetException">The peer reset the connection.</exception>
    /// <exception cref="ConnectionAbortedException">The connection was aborted or its output is already closed.</exception>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        // Large payloads go in chunks of the write buffer size, so memory stays bounded by the limit, not the payload.
        var chunk = (int)Math.Min(_settings.MaxWriteBufferSize ?? int.MaxValue, int.MaxValue);
        do
        {
            var part = data.Length > chunk ? data[..chunk] : data;
            data = data[part.Length..];
            var result = await Output.WriteAsync(part, cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The send was cancelled.");
            }

            if (result.IsCompleted)
            {
                throw new ConnectionAbortedException("The connection's output is closed.");
            }
        }
        while (!data.IsEmpty);
    }

    /// <summary>
    /// Receives up to <c>buffer.Length</c> bytes (the guide's <c>recv</c>): waits until at least one byte is
    /// available and copies what is buffered, or returns 0 when the peer has closed its side (EOF).
    /// </summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes copied; 0 at EOF.</returns>
    /// <exception cref="ConnectionResetException">The peer reset the connection.</exception>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            var result = await Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var available = result.Buffer;
            if (!available.IsEmpty)
            {
                var count = (int)Math.Min(available.Length, buffer.Length);
                var slice = available.Slice(0, count);
                slice.CopyTo(buffer.Span);
                Input.AdvanceTo(slice.End);
                return count;
            }

            Input.AdvanceTo(available.End);
            if (result.IsCompleted)
            {
                return 0;
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The receive was cancelled.");
            }
        }
    }

    /// <summary>
    /// Closes gracefully: sends the pending bytes, then FIN, then releases the socket. If the bytes do not drain
    /// within the close timeout or <paramref name="cancellationToken"/> fires first, the connection is aborted.
    /// Calling it again returns the same close.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the drain and aborts.</param>
    /// <returns>A task that completes when the socket is closed.</returns>
    public Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _closeTask) is { } closeTask)
        {
            return closeTask;
        }

        // One close per connection: racing callers agree on the task first, and only the winner starts the close.
        var close = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _closeTask, close.Task, null) is { } first)
        {
            return first;
        }

        _ = RunCloseAsync(close, cancellationToken);
        return close.Task;
    }

    /// <summary>Aborts the connection: pending reads and writes fail and the peer receives RST.</summary>
    /// <param name="reason">Why, for the logs and the <see cref="ConnectionAbortedException"/> message.</param>
    public void Abort(string? reason = null) => Abort(CloseReason.LocalAbort, reason ?? "The connection was aborted by the application.");

    /// <summary>Closes gracefully, within the close timeout (see <see cref="CloseAsync"/>).</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({RemoteEndPoint})";

    internal void Abort(CloseReason reason, string message)
    {
        SetCloseReason(reason);
        SocketLog.ConnectionAborted(_settings.Logger, Id, message);
        _pump.Abort(message);
        CancelClosedToken();
    }

    internal bool SetCloseReason(CloseReason reason)
        => Interlocked.CompareExchange(ref _closeReason, (int)reason, (int)CloseReason.None) == (int)CloseReason.None;

    /// <summary>Waits until both transport loops have ended.</summary>
    internal Task WaitForTransportAsync() => _pump.WaitForLoopsAsync();

    private async Task RunCloseAsync(TaskCompletionSource close, CancellationToken cancellationToken)
    {
        try
        {
            await CloseCoreAsync(cancellationToken).ConfigureAwait(false);
            close.TrySetResult();
        }
        catch (Exception ex)
        {
            close.TrySetException(ex);
        }
    }

    private async Task CloseCoreAsync(CancellationToken cancellationToken)
    {
        // Who closed first: if the peer's FIN is already here, it did.
        var peerClosedFirst = _pump.ReceivedFin;

        // Complete the output: the send loop sends what is pending, then FIN.
        await Output.CompleteAsync().ConfigureAwait(false);

        using var timeout = new CancellationTokenSource(_settings.CloseTimeout, _settings.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await _pump.SendCompletion.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            SocketLog.CloseTimedOut(_settings.Logger, Id, _settings.CloseTimeout);
            Abort(CloseReason.LocalAbort, "The connection's pending output did not drain before the close deadline.");
        }

        SetTransportCloseReason();
        SetCloseReason(peerClosedFirst ? CloseReason.RemoteClose : CloseReason.LocalClose);
        await Input.CompleteAsync().ConfigureAwait(false);
        _pump.CloseSocket();
        await _pump.WaitForLoopsAsync().ConfigureAwait(false);
        CancelClosedToken();
    }

    private async Task ObserveTransportAsync()
    {
        await _pump.WaitForLoopsAsync().ConfigureAwait(false);
        SetTransportCloseReason();
        CancelClosedToken();
    }

    private void SetTransportCloseReason()
    {
        switch (_pump.TransportError)
        {
            case ConnectionResetException:
                SetCloseReason(CloseReason.RemoteReset);
                break;
            case not null:
                SetCloseReason(CloseReason.TransportError);
                break;
        }
    }

    private void CancelClosedToken()
    {
        if (Interlocked.Exchange(ref _closedSignalled, 1) != 0)
        {
            return;
        }

        // The owner learns first (a server frees the connection's slot), so whoever observes ConnectionClosed
        // sees the server's counters already updated.
        _onClosed?.Invoke(this);
        SocketLog.ConnectionClosed(_settings.Logger, Id, CloseReason);

        // The token is cancelled at once, but the application's callbacks run on the thread pool: whoever closes
        // (the heartbeat, StopAsync, an Abort caller, an I/O loop) must not wait for them (issue #11).
        var callbacks = _closedSource.CancelAsync();
        if (!callbacks.IsCompleted)
        {
            // A callback that throws must not break the transport; its exception is observed here and dropped.
            _ = callbacks.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
