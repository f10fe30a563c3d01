using System.IO.Pipelines;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The transport: one receive loop and one send loop between a connected <see cref="Socket"/> and a pair of pipes,
/// in the spirit of Kestrel's SocketConnection. It only moves bytes; it knows nothing about framing.
/// </summary>
/// <remarks>
/// Receive: wait for data without a buffer (an idle connection holds none), rent from the pool,
/// receive, advance, flush; a paused flush (the application is <c>MaxReadBufferSize</c> behind) stops receiving,
/// which is TCP backpressure to the peer. Send: read the output pipe, send every buffered segment in one gathered
/// send, advance. Peer FIN completes the input; completion of the output sends FIN after the pending bytes.
/// Socket errors are mapped once, here (<see cref="SocketErrors"/>).
/// </remarks>
internal sealed class SocketPump
{
    /// <summary>
    /// How many receives (or sends) in a row a loop makes without waiting before it hands the rest of its work to the
    /// thread pool, when it runs on an I/O loop thread: a peer that uploads as fast as the loop reads would otherwise
    /// keep the loop in one callback for as long as it sends (16 full receives are 1 MiB with 64 KiB blocks).
    /// </summary>
    private const int MaxOperationsWithoutWait = 16;

    private readonly Socket _socket;
    private readonly ConnectionSettings _settings;
    private readonly string _connectionId;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly SocketIO _io;
    private readonly Lock _shutdownLock = new();
    private readonly long _maxWriteBufferSize;

    private Task _receiveTask = Task.CompletedTask;
    private Task _sendTask = Task.CompletedTask;
    private volatile bool _aborted;
    private volatile string? _abortReason;
    private volatile Exception? _transportError;
    private bool _socketDisposed;

    // Progress counters for the heartbeat's timeouts and the metrics: plain writes by the one loop that owns each, no
    // timestamps or locks on the data path; the heartbeat compares them between ticks, the metrics sum them when a
    // listener collects. The byte counts live in the connection's telemetry, so the metrics read the same fields.
    private readonly ConnectionTelemetry _counters;
    private long _sendsCompleted;
    private volatile bool _sendPending;
    private volatile bool _receivePaused;

    public SocketPump(Socket socket, ConnectionSettings settings, string connectionId, ConnectionTelemetry counters, SocketIO? io = null)
    {
        _socket = socket;
        _settings = settings;
        _connectionId = connectionId;
        _counters = counters;
        _input = new Pipe(settings.InputOptions);
        _output = new Pipe(settings.OutputOptions);
        _io = io ?? SocketIO.Create(socket, settings);
        _maxWriteBufferSize = settings.MaxWriteBufferSize ?? long.MaxValue;
        settings.Hooks?.ConnectionStarting?.Invoke(socket);
    }

    /// <summary>The application reads what the peer sent from here.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>The application writes what goes to the peer here.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>Gets whether the peer sent FIN.</summary>
    public bool ReceivedFin { get; private set; }

    /// <summary>Gets the mapped error that ended the transport, if the peer or the network broke it.</summary>
    public Exception? TransportError => _transportError;

    /// <summary>Gets the task of the send loop: it ends after the FIN went out, or on error or abort.</summary>
    public Task SendCompletion => _sendTask;

    /// <summary>Gets whether this side aborted the connection.</summary>
    public bool IsAborted => _aborted;

    /// <summary>Gets how many bytes have been received.</summary>
    public long BytesReceived => Volatile.Read(ref _counters.BytesReceived);

    /// <summary>Gets how many bytes the completed sends took.</summary>
    public long BytesSent => Volatile.Read(ref _counters.BytesSent);

    /// <summary>Gets how many sends have completed.</summary>
    public long SendsCompleted => Volatile.Read(ref _sendsCompleted);

    /// <summary>Gets whether a send is waiting for the peer.</summary>
    public bool SendPending => _sendPending;

    /// <summary>Gets whether receiving is paused because the application is <c>MaxReadBufferSize</c> behind.</summary>
    public bool ReceivePaused => _receivePaused;

    public void Start()
    {
        _receiveTask = ReceiveLoopAsync();
        _sendTask = SendLoopAsync();
    }

    /// <summary>Aborts the connection: pending operations fail and the peer gets RST.</summary>
    /// <remarks>
    /// Called by the heartbeat, by <c>StopAsync</c> and by the application: the loops it wakes are resumed on the
    /// thread pool, never on the caller's thread, because they complete the pipes and so resume the application's
    /// continuations (issue #11: a blocking handler must not stall the heartbeat or a stop).
    /// </remarks>
    public void Abort(string reason)
    {
        _abortReason ??= reason;
        _aborted = true;
        CloseSocket(reset: true);

        // The send loop may be waiting for the application; release it.
        ThreadPool.UnsafeQueueUserWorkItem(static pump => pump._output.Reader.CancelPendingRead(), this, preferLocal: false);
    }

    /// <summary>Closes the socket after a graceful shutdown (both loops finish quickly once it is closed).</summary>
    public void CloseSocket() => CloseSocket(reset: false);

    /// <summary>Waits until both loops have ended.</summary>
    public Task WaitForLoopsAsync() => Task.WhenAll(_receiveTask, _sendTask);

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        var waitForData = true;
        var withoutWait = 0;
        try
        {
            while (true)
            {
                if (waitForData)
                {
                    // An empty receive completes when data arrives without holding a buffer meanwhile.
                    withoutWait = 0;
                    await _io.ReceiveAsync(Memory<byte>.Empty).ConfigureAwait(false);
                }
                else if (++withoutWait >= MaxOperationsWithoutWait && Epoll.EpollLoop.IsLoopThread)
                {
                    // Fairness: the other connections of this I/O loop have waited long enough (see MaxOperationsWithoutWait).
                    withoutWait = 0;
                    await Task.Yield();
                }

                var memory = writer.GetMemory(_settings.MinimumReceiveSize);
                var received = await _io.ReceiveAsync(memory).ConfigureAwait(false);
                if (received == 0)
                {
                    ReceivedFin = true;
                    SocketLog.ReceivedFin(_settings.Logger, _connectionId);
                    break;
                }

                writer.Advance(received);
                Volatile.Write(ref _counters.BytesReceived, _counters.BytesReceived + received);

                // A receive that filled the buffer probably left more in the socket: skip the wait next time.
                waitForData = received < memory.Length;

                var flushTask = writer.FlushAsync();
                FlushResult flush;
                if (flushTask.IsCompletedSuccessfully)
                {
                    flush = flushTask.Result;
                }
                else
                {
                    // Backpressure: the peer is not to blame for the time the application takes to catch up. The
                    // pause is timed for the metrics here, off the fast path.
                    _receivePaused = true;
                    var pausedAt = _settings.TimeProvider.GetTimestamp();
                    flush = await flushTask.ConfigureAwait(false);
                    _receivePaused = false;
                    Volatile.Write(ref _counters.ReceivePausedTicks, _counters.ReceivePausedTicks + (_settings.TimeProvider.GetTimestamp() - pausedAt));
                }

                if (flush.IsCompleted || flush.IsCanceled)
                {
                    // The application completed its input: it wants no more bytes.
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // Socket errors are mapped below; anything else ends the loop with itself as the reason.
            error = ex;
        }

        if (error is null)
        {
            await writer.CompleteAsync().ConfigureAwait(false);
            return;
        }

        var mapped = SocketErrors.Map(error, _aborted, _abortReason);
        if (!_aborted)
        {
            _transportError ??= mapped;
            SocketLog.ReceiveFailed(_settings.Logger, _connectionId, mapped);

            // The transport is broken both ways: stop the send loop too.
            CloseSocket(reset: true);
            _output.Reader.CancelPendingRead();
        }

        await writer.CompleteAsync(mapped).ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        var withoutWait = 0;
        try
        {
            while (true)
            {
                var read = reader.ReadAsync();
                if (!read.IsCompleted)
                {
                    withoutWait = 0;
                }
                else if (++withoutWait >= MaxOperationsWithoutWait && Epoll.EpollLoop.IsLoopThread)
                {
                    // Fairness, as in the receive loop: an application that writes as fast as the peer reads would
                    // otherwise keep the loop in one callback.
                    withoutWait = 0;
                    await Task.Yield();
                }

                var result = await read.ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;

                // At MaxWriteBufferSize the application's flush waits (the pipe pauses its writer) until this send
                // has taken the bytes: that wait is the transmit side's backpressure time.
                var full = buffer.Length >= _maxWriteBufferSize;
                var fullSince = full ? _settings.TimeProvider.GetTimestamp() : 0;
                if (!buffer.IsEmpty)
                {
                    _sendPending = true;
                    var send = _io.SendAsync(buffer);
                    if (!send.IsCompleted)
                    {
                        withoutWait = 0;
                    }

                    await send.ConfigureAwait(false);
                    _sendPending = false;
                    Volatile.Write(ref _counters.BytesSent, _counters.BytesSent + buffer.Length);
                    Volatile.Write(ref _sendsCompleted, _sendsCompleted + 1);
                }

                reader.AdvanceTo(buffer.End);
                if (full)
                {
                    Volatile.Write(ref _counters.TransmitPausedTicks, _counters.TransmitPausedTicks + (_settings.TimeProvider.GetTimestamp() - fullSince));
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // Socket errors are mapped below; anything else ends the loop with itself as the reason.
            error = ex;
        }

        Exception? completion;
        if (error is not null)
        {
            completion = SocketErrors.Map(error, _aborted, _abortReason);
            if (!_aborted)
            {
                _transportError ??= completion;
                SocketLog.SendFailed(_settings.Logger, _connectionId, completion);
                CloseSocket(reset: true);
            }
        }
        else if (_aborted)
        {
            completion = new ConnectionAbortedException(_abortReason ?? "The connection was aborted.");
        }
        else if (_transportError is { } transportError)
        {
            completion = transportError;
        }
        else
        {
            completion = null;
            ShutdownSend();
        }

        await reader.CompleteAsync(completion).ConfigureAwait(false);
    }

    private void ShutdownSend()
    {
        lock (_shutdownLock)
        {
            if (_socketDisposed)
            {
                return;
            }

            try
            {
                // FIN after every pending byte: the half-close the peer sees as EOF.
                _socket.Shutdown(SocketShutdown.Send);
                SocketLog.SentFin(_settings.Logger, _connectionId);
            }
            catch (SocketException ex)
            {
                // The peer may already be gone; the receive loop reports that.
                SocketLog.ShutdownFailed(_settings.Logger, _connectionId, ex.SocketErrorCode);
            }
        }
    }

    private void CloseSocket(bool reset)
    {
        lock (_shutdownLock)
        {
            if (_socketDisposed)
            {
                return;
            }

            _socketDisposed = true;
            if (reset)
            {
                try
                {
                    // Linger 0 makes close() send RST instead of FIN: an abort, not a goodbye.
                    _socket.LingerState = new LingerOption(enable: true, seconds: 0);
                }
                catch (SocketException)
                {
                    // Already broken; closing it is all that is left to do.
                }
            }

            _io.Close();
            _socket.Dispose();
        }

        // Outside the lock, and on the thread pool: a loop waiting for the engine resumes and ends with the abort, and
        // with it the application's continuations on the pipes, which must not run on whoever closes (the heartbeat,
        // StopAsync, an Abort caller).
        ThreadPool.UnsafeQueueUserWorkItem(static io => io.WakeWaiters(), _io, preferLocal: false);
    }
}
