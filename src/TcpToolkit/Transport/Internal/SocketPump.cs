using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The transport: receive runs and send runs between a connected <see cref="Socket"/> and a pair of pipes, in the
/// spirit of Kestrel's SocketConnection. It only moves bytes; it knows nothing about framing.
/// </summary>
/// <remarks>
/// Receive: wait for data without a buffer (an idle connection holds none), rent from the pool,
/// receive, advance, flush; a paused flush (the application is <c>MaxReadBufferSize</c> behind) stops receiving,
/// which is TCP backpressure to the peer. Send: read the output pipe, send every buffered segment in one gathered
/// send, advance. Peer FIN completes the input; completion of the output sends FIN after the pending bytes.
/// Socket errors are mapped once, here (<see cref="SocketErrors"/>).
/// </remarks>
internal sealed class SocketPump : IDuplexPipe
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
    private static readonly Action<object?> s_onReadable = static state => ((SocketPump)state!).OnReadable();

    private readonly ConnectionInput _input = new();
    private Pipe? _inputPipe;
    private bool _inputPublished;
    private int _receivesWithoutWait;
    private Pipe? _output;
    private readonly SocketIO _io;
    private readonly ITransportObserver _observer;
    private readonly long _maxWriteBufferSize;

    private TaskCompletionSource? _loopsDone;
    private readonly ConnectionOutput _outputWriter;
    private TaskCompletionSource? _sendDone;
    private int _sendEnded;

    // The send side runs only while there is output (issue #17: an idle connection holds no waiting send loop). A
    // flush, a completion or a cancel bumps _outputSignals and starts a run unless one is active (_sending = 1); a run
    // that finds nothing to send parks (back to 0) unless a signal came in the meantime.
    private int _sending;
    private int _outputSignals;

    // The signal count a run had handled when it last parked: a direct send (SendNow) that held the send side while a
    // run parked starts the run that run could not.
    private int _parkedAtSignal;
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
    private int _loopsRunning;

    public SocketPump(Socket socket, ConnectionSettings settings, string connectionId, ConnectionTelemetry counters, ITransportObserver observer, SocketIO? io = null)
    {
        _observer = observer;
        _socket = socket;
        _settings = settings;
        _connectionId = connectionId;
        _counters = counters;
        _outputWriter = new ConnectionOutput(this);
        _io = io ?? SocketIO.Create(socket, settings);
        _maxWriteBufferSize = settings.MaxWriteBufferSize ?? long.MaxValue;
        settings.Hooks?.ConnectionStarting?.Invoke(socket);
    }

    /// <summary>The application reads what the peer sent from here (the input pipe's reader once the first bytes came).</summary>
    public ConnectionInput Input => _input;

    /// <summary>
    /// Gets the output pipe, created at the first write, flush, completion or abort (issue #17: a connection that
    /// has not written holds no output pipe).
    /// </summary>
    public Pipe OutputPipe => Volatile.Read(ref _output) ?? CreateOutputPipe();

    /// <summary>The application writes what goes to the peer here.</summary>
    public PipeWriter Output => _outputWriter;

    // The pump is the connection's socket-side pipe pair itself: no pair object per connection (issue #17's idle budget).
    PipeReader IDuplexPipe.Input => _input;

    /// <summary>Gets whether the peer sent FIN.</summary>
    public bool ReceivedFin { get; private set; }

    /// <summary>Gets the mapped error that ended the transport, if the peer or the network broke it.</summary>
    public Exception? TransportError => _transportError;

    /// <summary>Gets the task of the send loop: it ends after the FIN went out, or on error or abort.</summary>
    public Task SendCompletion
    {
        get
        {
            if (Volatile.Read(ref _sendEnded) != 0)
            {
                return Task.CompletedTask;
            }

            // Created only when someone waits (a close): an idle connection holds none.
            var done = Volatile.Read(ref _sendDone);
            if (done is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                done = Interlocked.CompareExchange(ref _sendDone, created, null) ?? created;
            }

            if (Volatile.Read(ref _sendEnded) != 0)
            {
                done.TrySetResult();
            }

            return done.Task;
        }
    }

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
        _loopsRunning = 2;
        if (_io.WaitForData(s_onReadable, this))
        {
            ReceiveRun();
        }
    }

    private Pipe CreateOutputPipe()
    {
        var pipe = new Pipe(_settings.OutputOptions);
        return Interlocked.CompareExchange(ref _output, pipe, null) ?? pipe;
    }

    /// <summary>
    /// Called after the application flushed or completed the output, and after a cancel of the send side: starts a
    /// send run on this thread unless one is active (the output pipe's reader scheduler is inline, so this is where
    /// a waiting send loop would have resumed too).
    /// </summary>
    public void SignalOutput()
    {
        Interlocked.Increment(ref _outputSignals);
        if (Volatile.Read(ref _sending) == 0 && Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            _ = SendRunAsync();
        }
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> straight from the caller's memory when nothing waits to be sent before them (no
    /// send run active, so the output pipe is empty), the connection is open and the engine can send without waiting:
    /// returns how many bytes the socket took at once, 0 when it took none or the send side is busy. The caller queues
    /// the rest in the output pipe. An echo writes back what it read without a copy into the output pipe and without a
    /// send run (issue #17). A failure is left to the send run, which meets it again with the queued bytes and reports it.
    /// </summary>
    public long SendNow(in ReadOnlySequence<byte> bytes)
    {
        // Held as a run holds the send side: no run starts meanwhile.
        if (_aborted || !_io.SendsWithoutWaiting || Volatile.Read(ref _sending) != 0 || Interlocked.CompareExchange(ref _sending, 1, 0) != 0)
        {
            return 0;
        }

        long sent = 0;
        try
        {
            sent = _io.SendNow(bytes);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or ConnectionAbortedException)
        {
            // Left to the send run, which meets the failure again with the queued bytes and reports it.
        }

        if (sent > 0)
        {
            Volatile.Write(ref _counters.BytesSent, _counters.BytesSent + sent);
            Volatile.Write(ref _sendsCompleted, _sendsCompleted + 1);
        }

        // A signal the last run had not handled when it parked (an abort, the receive side's end, arriving while it
        // parked or while this call held the send side) found the send side busy and started no run: start it now.
        Interlocked.Exchange(ref _sending, 0);
        if (Volatile.Read(ref _outputSignals) != Volatile.Read(ref _parkedAtSignal) && Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            _ = SendRunAsync();
        }

        return sent;
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
        ThreadPool.UnsafeQueueUserWorkItem(
            static pump =>
            {
                pump.OutputPipe.Reader.CancelPendingRead();
                pump.SignalOutput();
            },
            this,
            preferLocal: false);
    }

    /// <summary>Closes the socket after a graceful shutdown (both loops finish quickly once it is closed).</summary>
    public void CloseSocket() => CloseSocket(reset: false);

    /// <summary>Waits until both loops have ended.</summary>
    public Task WaitForLoopsAsync()
    {
        if (Volatile.Read(ref _loopsRunning) == 0)
        {
            return Task.CompletedTask;
        }

        // Created only when someone waits (a close), as SendCompletion's.
        var done = Volatile.Read(ref _loopsDone);
        if (done is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done = Interlocked.CompareExchange(ref _loopsDone, created, null) ?? created;
        }

        if (Volatile.Read(ref _loopsRunning) == 0)
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    /// <summary>
    /// One receive run, started when the socket is readable: receives and flushes until a short read, then parks on
    /// the engine's readiness callback (<see cref="SocketIO.WaitForData"/>) and returns, holding no buffer and no
    /// waiting state machine (issue #17's idle budget). The input pipe is created at the first run. The run is a plain
    /// loop: only a receive or a flush that cannot complete at once goes on in an async method (allocated then, not
    /// per run). A run that meets the end (FIN, error, the application completing its input) ends the receive side.
    /// </summary>
    private void ReceiveRun()
    {
        try
        {
            while (true)
            {
                var memory = (_inputPipe ?? CreateInputPipe()).Writer.GetMemory(_settings.MinimumReceiveSize);
                var receive = _io.ReceiveAsync(memory);
                if (!receive.IsCompletedSuccessfully)
                {
                    _ = ReceiveWhenReadyAsync(receive, memory.Length);
                    return;
                }

                var received = receive.Result;
                var step = AfterReceive(received, memory.Length, out var pausedFlush);
                if (step == ReceiveStep.FlushPaused)
                {
                    _ = FlushWhenResumedAsync(pausedFlush, received == memory.Length);
                    return;
                }

                if (!ShouldGoOn(step))
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            // Socket errors are mapped there; anything else ends the receive side with itself as the reason.
            _ = EndReceiveAsync(ex);
        }
    }

    /// <summary>What a run does after a receive or a flush.</summary>
    private enum ReceiveStep
    {
        /// <summary>The receive filled the buffer: probably more in the socket, receive again at once.</summary>
        Again,

        /// <summary>A short read: wait for the socket to be readable again.</summary>
        Park,

        /// <summary>FIN, or the application completed its input: the receive side ends.</summary>
        End,

        /// <summary>The flush waits for the application (backpressure).</summary>
        FlushPaused,
    }

    /// <summary>Takes <paramref name="received"/> bytes into the pipe and flushes them (the first flush publishes the pipe).</summary>
    private ReceiveStep AfterReceive(int received, int memoryLength, out ValueTask<FlushResult> pausedFlush)
    {
        pausedFlush = default;
        if (received == 0)
        {
            ReceivedFin = true;
            SocketLog.ReceivedFin(_settings.Logger, _connectionId);
            return ReceiveStep.End;
        }

        var writer = _inputPipe!.Writer;
        writer.Advance(received);
        Volatile.Write(ref _counters.BytesReceived, _counters.BytesReceived + received);
        var flush = writer.FlushAsync();
        if (!_inputPublished)
        {
            // The first bytes: the application's first read (waiting on the input without a pipe) gets them. Before
            // the flush is awaited, so a first flush over the pause threshold has a reader to resume it.
            PublishInput();
        }

        if (!flush.IsCompletedSuccessfully)
        {
            pausedFlush = flush;
            return ReceiveStep.FlushPaused;
        }

        return AfterFlush(flush.Result, filled: received == memoryLength);
    }

    private static ReceiveStep AfterFlush(FlushResult flush, bool filled)
        => flush.IsCompleted || flush.IsCanceled ? ReceiveStep.End : filled ? ReceiveStep.Again : ReceiveStep.Park;

    /// <summary>
    /// Acts on <paramref name="step"/> (never <see cref="ReceiveStep.FlushPaused"/>): <see langword="true"/> when the
    /// run should receive again now; otherwise the run is over for now (parked, handed to the thread pool, or ended).
    /// </summary>
    private bool ShouldGoOn(ReceiveStep step)
    {
        switch (step)
        {
            case ReceiveStep.Again when ++_receivesWithoutWait >= MaxOperationsWithoutWait && Epoll.EpollLoop.IsLoopThread:
                // Fairness: the other connections of this I/O loop have waited long enough (see MaxOperationsWithoutWait).
                _receivesWithoutWait = 0;
                ThreadPool.UnsafeQueueUserWorkItem(s_onReadable, this, preferLocal: false);
                return false;
            case ReceiveStep.Again:
                return true;
            case ReceiveStep.Park:
                // Park until the socket is readable again, unless it already is.
                _receivesWithoutWait = 0;
                return _io.WaitForData(s_onReadable, this);
            default:
                _ = EndReceiveAsync(null);
                return false;
        }
    }

    /// <summary>The rest of a run whose receive had to wait for the engine.</summary>
    private async Task ReceiveWhenReadyAsync(ValueTask<int> receive, int memoryLength)
    {
        try
        {
            var received = await receive.ConfigureAwait(false);
            var filled = received == memoryLength;
            var step = AfterReceive(received, memoryLength, out var pausedFlush);
            if (step == ReceiveStep.FlushPaused)
            {
                step = AfterFlush(await AwaitPausedFlushAsync(pausedFlush).ConfigureAwait(false), filled);
            }

            if (!ShouldGoOn(step))
            {
                return;
            }
        }
        catch (Exception ex)
        {
            await EndReceiveAsync(ex).ConfigureAwait(false);
            return;
        }

        ReceiveRun();
    }

    /// <summary>The rest of a run whose flush waits for the application to catch up.</summary>
    private async Task FlushWhenResumedAsync(ValueTask<FlushResult> pausedFlush, bool filled)
    {
        try
        {
            var step = AfterFlush(await AwaitPausedFlushAsync(pausedFlush).ConfigureAwait(false), filled);
            if (!ShouldGoOn(step))
            {
                return;
            }
        }
        catch (Exception ex)
        {
            await EndReceiveAsync(ex).ConfigureAwait(false);
            return;
        }

        ReceiveRun();
    }

    /// <summary>
    /// Backpressure: the peer is not to blame for the time the application takes to catch up. The pause is timed for
    /// the metrics here, off the fast path.
    /// </summary>
    private async ValueTask<FlushResult> AwaitPausedFlushAsync(ValueTask<FlushResult> pausedFlush)
    {
        _receivePaused = true;
        var pausedAt = _settings.TimeProvider.GetTimestamp();
        var flush = await pausedFlush.ConfigureAwait(false);
        _receivePaused = false;
        Volatile.Write(ref _counters.ReceivePausedTicks, _counters.ReceivePausedTicks + (_settings.TimeProvider.GetTimestamp() - pausedAt));
        return flush;
    }

    /// <summary>
    /// Starts a receive run when the socket becomes readable (the engine calls this once per <see cref="SocketIO.WaitForData"/>
    /// that returned <see langword="false"/>), and after a fairness hand-off to the thread pool.
    /// </summary>
    private void OnReadable() => ReceiveRun();

    private Pipe CreateInputPipe() => _inputPipe = new Pipe(_settings.InputOptions);

    private void PublishInput()
    {
        _inputPublished = true;
        _input.Publish(_inputPipe!.Reader);
    }

    private async Task EndReceiveAsync(Exception? error)
    {
        var writer = (_inputPipe ?? CreateInputPipe()).Writer;
        try
        {
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
                OutputPipe.Reader.CancelPendingRead();
                SignalOutput();
            }

            await writer.CompleteAsync(mapped).ConfigureAwait(false);
        }
        finally
        {
            if (!_inputPublished)
            {
                // The end came before any byte: a first read waiting on the input sees it now.
                PublishInput();
            }

            OnLoopEnded();
        }
    }

    /// <summary>
    /// One send run: sends what the application flushed, and parks (returns without completing anything) when the
    /// output pipe is empty; the next <see cref="SignalOutput"/> starts a new run. A run that meets the end of the
    /// output (completion, cancel, error) ends the send side for good: FIN or the mapped error, then the pipe's reader
    /// is completed. A run that never has to wait completes synchronously: no state machine is allocated.
    /// </summary>
    private async Task SendRunAsync()
    {
        var reader = OutputPipe.Reader;
        Exception? error = null;
        var withoutWait = 0;
        try
        {
            while (true)
            {
                var seen = Volatile.Read(ref _outputSignals);
                if (!reader.TryRead(out var result))
                {
                    // Park, unless a flush came in after `seen`: its signal saw this run active and started none.
                    Volatile.Write(ref _parkedAtSignal, seen);
                    Interlocked.Exchange(ref _sending, 0);
                    if (Volatile.Read(ref _outputSignals) == seen || Interlocked.CompareExchange(ref _sending, 1, 0) != 0)
                    {
                        return;
                    }

                    continue;
                }

                if (++withoutWait >= MaxOperationsWithoutWait && Epoll.EpollLoop.IsLoopThread)
                {
                    // Fairness, as in the receive loop: an application that writes as fast as the peer reads would
                    // otherwise keep the loop in one callback.
                    withoutWait = 0;
                    await Task.Yield();
                }

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

        try
        {
            await reader.CompleteAsync(completion).ConfigureAwait(false);
        }
        finally
        {
            // _sending stays 1: no run starts after the end.
            Interlocked.Exchange(ref _sendEnded, 1);
            Volatile.Read(ref _sendDone)?.TrySetResult();
            OnLoopEnded();
        }
    }

    /// <summary>
    /// Tells the observer once both loops are over: a callback, not an awaited <c>Task.WhenAll</c>, so an idle
    /// connection holds no waiting state machine for it (issue #17's idle budget).
    /// </summary>
    private void OnLoopEnded()
    {
        if (Interlocked.Decrement(ref _loopsRunning) == 0)
        {
            _observer.OnTransportEnded();
            Volatile.Read(ref _loopsDone)?.TrySetResult();
        }
    }

    private void ShutdownSend()
    {
        lock (this)
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
        lock (this)
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
