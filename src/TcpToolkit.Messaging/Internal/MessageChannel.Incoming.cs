using System.Diagnostics;
using System.Text;
using TcpToolkit.Framing;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The requests this end receives: accepted within the announced limits, queued, run on the thread pool (never on the
/// read loop), answered through the output, cancelled by the peer's Cancel, their deadline, or the connection's end.
/// </summary>
internal sealed partial class MessageChannel
{
    private readonly Dictionary<ulong, RequestContext> _incoming = [];
    private readonly LinkedList<RequestContext> _queue = new();
    private readonly Stack<RequestContext> _contextPool = new();
    private readonly HashSet<RequestContext> _runningOneWays = [];
    private readonly Dispatcher _dispatcher;
    private int _running;
    private bool _workerScheduled;
    private bool _waitingForRoom;
    private bool _goingAway;
    private bool _drainStarted;
    private bool _goAwayWritten;
    private ulong _acceptedRequests;
    private long _incomingRequestBytes;
    private long _incomingBytes;
    private long _incomingBytesHighWater;
    private TaskCompletionSource? _oneWayRoom;
    private TaskCompletionSource? _handlersDone;

    /// <summary>
    /// Starts going away (a server's graceful stop): a GoAway tells the peer how many of its requests were accepted,
    /// requests not yet started are answered "not executed", running ones finish, then the output is completed.
    /// </summary>
    public void BeginGoingAway(string reason)
    {
        List<RequestContext> dropped = [];
        ulong accepted;
        lock (_lock)
        {
            if (_goingAway || _stopReading || !_handshakeDone)
            {
                return;
            }

            _goingAway = true;
            accepted = _acceptedRequests;
            while (_queue.First is { } node)
            {
                var context = node.Value;
                RemoveQueuedLocked(context);
                dropped.Add(context);
            }
        }

        MessagingLog.GoingAway(_logger, Id, accepted, dropped.Count);
        if (_output.TryBeginWrite(out var output))
        {
            try
            {
                Wire.WriteGoAway(output, accepted, reason);
            }
            finally
            {
                _output.EndWrite(Wire.HeaderLength, flushNow: false);
            }

            _settings.Metrics.GoAway(sent: true);
        }

        foreach (var context in dropped)
        {
            if (!context.IsOneWay)
            {
                WriteErrorFrame(context.RequestId, MessageErrorCode.NotExecuted, "The server is going away; the request was not started.");
                EndCall(context, RpcErrorTypes.NotExecuted);
            }

            Recycle(context);
        }

        lock (_lock)
        {
            // Only now may the drain complete the output: a handler finishing meanwhile must not close it before the
            // GoAway and the "not executed" answers are in (they would be refused, and the client left in doubt).
            _goAwayWritten = true;
        }

        _output.FlushNow();
        CheckDrained();
    }

    private Task? OnIncoming(in MessageFrame frame)
    {
        var isRequest = frame.Kind == FrameKind.Request;
        Func<RequestContext, CancellationToken, ValueTask>? handler = null;
        var routed = false;
        var method = _settings.Router is { } router ? router.Resolve(frame.Method, out handler, out routed) : Encoding.UTF8.GetString(frame.Method);

        // Issue #14: only a mapped route names its metrics; any other name is the peer's choice (unbounded), so _OTHER.
        var metricMethod = routed ? method : MessagingMetrics.OtherMethod;
        var bytes = (int)(frame.Metadata.Length + frame.Payload.Length);
        var id = frame.Id;
        if (!isRequest)
        {
            _settings.Metrics.OneWay(metricMethod, sent: false);
        }

        if (handler is null)
        {
            if (isRequest)
            {
                lock (_lock)
                {
                    if (_goingAway || _stopReading)
                    {
                        return null;
                    }

                    _acceptedRequests++;
                }

                var unknown = RpcCall.BeginIncoming(_settings.Metrics, _time, metricMethod, method, frame.Metadata, this);
                WriteErrorFrame(frame.Id, MessageErrorCode.UnknownMethod, $"No handler for method '{method}'.");
                unknown.End(_settings.Metrics, _time, RpcErrorTypes.UnknownMethod);
            }
            else
            {
                MessagingLog.UnhandledOneWay(_logger, Id, method);
            }

            return null;
        }

        var deadline = frame.TimeoutMilliseconds == 0 ? 0 : _time.GetTimestamp() + Ticks(TimeSpan.FromMilliseconds(frame.TimeoutMilliseconds));

        // Begun before the lock: listeners' callbacks (and a sampler's) never run under the channel's lock.
        var call = isRequest ? RpcCall.BeginIncoming(_settings.Metrics, _time, metricMethod, method, frame.Metadata, this) : default;
        var schedule = false;
        var refused = false;
        string? violation = null;
        Task? wait = null;
        lock (_lock)
        {
            if (_goingAway || _stopReading)
            {
                // After its GoAway this end starts nothing new; the peer counts these as not accepted.
                refused = true;
            }
            else if (isRequest)
            {
                if (_incoming.Count >= _settings.MaxIncomingRequests)
                {
                    violation = $"The peer exceeded the announced limit of {_settings.MaxIncomingRequests} requests in flight.";
                }
                else if (_incoming.Count > 0 && _incomingRequestBytes + bytes > _settings.MaxBufferedBytes)
                {
                    violation = $"The peer exceeded the announced limit of {_settings.MaxBufferedBytes} request bytes in flight.";
                }
                else if (_incoming.ContainsKey(id))
                {
                    violation = $"The peer reused request id {id} while it was still in flight.";
                }
            }

            if (!refused && violation is null)
            {
                var context = _contextPool.Count > 0 ? _contextPool.Pop() : new RequestContext(this);
                context.Initialize(frame.Kind, id, method, handler, frame, deadline);
                context.Call = call;
                if (isRequest)
                {
                    _incoming.Add(id, context);
                    _acceptedRequests++;
                    _incomingRequestBytes += bytes;
                }

                _incomingBytes += bytes;
                if (_incomingBytes > _incomingBytesHighWater)
                {
                    Volatile.Write(ref _incomingBytesHighWater, _incomingBytes);
                }

                _queue.AddLast(context.Node);
                if (!_workerScheduled && !_waitingForRoom && _running < _settings.MaxConcurrentHandlers)
                {
                    _workerScheduled = schedule = true;
                }

                if (!isRequest && _incomingBytes > _settings.MaxBufferedBytes)
                {
                    wait = (_oneWayRoom ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }
        }

        if (refused)
        {
            call.End(_settings.Metrics, _time, RpcErrorTypes.NotExecuted);
            return null;
        }

        if (violation is not null)
        {
            call.End(_settings.Metrics, _time, RpcErrorTypes.Other);
            throw new InvalidFrameException(violation);
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_dispatcher, preferLocal: false);
        }

        if (deadline != 0 && deadline < Volatile.Read(ref _armedAt))
        {
            Rearm(deadline);
        }

        return wait;
    }

    private void OnCancel(ulong id)
    {
        RequestContext? queued = null;
        lock (_lock)
        {
            if (!_incoming.TryGetValue(id, out var context))
            {
                return; // answered already: the answer and the cancel crossed
            }

            if (context.State == RequestState.Queued)
            {
                RemoveQueuedLocked(context);
                queued = context;
            }
            else if (context.State == RequestState.Running)
            {
                // Under the lock: the context cannot finish and be reused for another request meanwhile.
                context.Cancel(MessageErrorCode.Cancelled);
            }
        }

        if (queued is not null)
        {
            WriteErrorFrame(id, MessageErrorCode.Cancelled, "The request was cancelled before it started.");
            EndCall(queued, RpcErrorTypes.Cancelled);
            Recycle(queued);
        }
    }

    private void RemoveQueuedLocked(RequestContext context)
    {
        _queue.Remove(context.Node);
        if (!context.IsOneWay)
        {
            _incoming.Remove(context.RequestId);
            _incomingRequestBytes -= context.ChargedBytes;
        }

        _incomingBytes -= context.ChargedBytes;
        context.State = RequestState.Tombstone;
    }

    private void RunWorker()
    {
        var waitForRoom = false;
        while (true)
        {
            RequestContext context;
            lock (_lock)
            {
                if (_queue.First is null || _running >= _settings.MaxConcurrentHandlers || _stopReading || _connection.ConnectionClosed.IsCancellationRequested)
                {
                    // A closed connection starts nothing more, even before the read loop has seen the close: the
                    // peer failed its requests already, so running one now could run it twice (issue #13).
                    _workerScheduled = false;
                    break;
                }

                if (!_output.HasRoom)
                {
                    // The peer does not take its answers: start nothing new until it does (its requests stay in flight).
                    _workerScheduled = false;
                    _waitingForRoom = waitForRoom = true;
                    break;
                }

                context = _queue.First.Value;
                _queue.RemoveFirst();
                context.State = RequestState.Running;
                _running++;
                if (context.IsOneWay)
                {
                    _runningOneWays.Add(context);
                }
            }

            ValueTask run;
            var span = context.Call.Activity;
            var previous = span is null ? null : Activity.Current;
            if (span is not null)
            {
                // The handler's code (and what it awaits) runs under the request's server span.
                Activity.Current = span;
            }

            try
            {
                run = context.Handler!(context, context.Token);
            }
            catch (Exception ex)
            {
                run = ValueTask.FromException(ex);
            }

            if (span is not null)
            {
                Activity.Current = previous;
            }

            if (run.IsCompleted)
            {
                Finish(context, Outcome(run));
            }
            else
            {
                _ = FinishAsync(context, run);
            }
        }

        _output.FlushNow();
        if (waitForRoom)
        {
            _ = ResumeWhenRoomAsync();
        }
    }

    private async Task ResumeWhenRoomAsync()
    {
        await _output.WaitForRoomAsync(CancellationToken.None).ConfigureAwait(false);
        var schedule = false;
        lock (_lock)
        {
            _waitingForRoom = false;
            if (!_workerScheduled && _queue.First is not null)
            {
                _workerScheduled = schedule = true;
            }
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_dispatcher, preferLocal: false);
        }
    }

    private async Task FinishAsync(RequestContext context, ValueTask run)
    {
        Exception? failure = null;
        try
        {
            await run.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        Finish(context, failure);
        _output.FlushNow();
    }

    private static Exception? Outcome(ValueTask run)
    {
        if (run.IsCompletedSuccessfully)
        {
            return null;
        }

        try
        {
            run.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private void Finish(RequestContext context, Exception? failure)
    {
        var id = context.RequestId;
        if (context.IsOneWay)
        {
            if (failure is not null && !(failure is OperationCanceledException && context.Token.IsCancellationRequested))
            {
                MessagingLog.HandlerFaulted(_logger, Id, "OneWay", context.Method, id, failure);
            }
        }
        else
        {
            EndCall(context, Answer(context, failure));
        }

        var schedule = false;
        TaskCompletionSource? oneWayRoom = null;
        TaskCompletionSource? handlersDone = null;
        var drained = false;
        lock (_lock)
        {
            if (context.IsOneWay)
            {
                _runningOneWays.Remove(context);
            }
            else
            {
                _incoming.Remove(id);
                _incomingRequestBytes -= context.ChargedBytes;
            }

            _incomingBytes -= context.ChargedBytes;
            _running--;
            if (!_workerScheduled && !_waitingForRoom && _queue.First is not null)
            {
                _workerScheduled = schedule = true;
            }

            if (_oneWayRoom is not null && _incomingBytes <= _settings.MaxBufferedBytes)
            {
                oneWayRoom = _oneWayRoom;
                _oneWayRoom = null;
            }

            if (_running == 0)
            {
                handlersDone = _handlersDone;
                _handlersDone = null;
                drained = _goingAway;
            }
        }

        Recycle(context);
        oneWayRoom?.TrySetResult();
        handlersDone?.TrySetResult();
        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_dispatcher, preferLocal: false);
        }

        if (drained)
        {
            CheckDrained();
        }
    }

    /// <summary>Answers a finished request; returns its <c>error.type</c> (<see langword="null"/>: a reply was sent).</summary>
    private string? Answer(RequestContext context, Exception? failure)
    {
        var id = context.RequestId;
        MessageErrorCode code;
        string message;
        switch (failure)
        {
            case null:
                var reply = context.WrittenReply;
                if (Wire.HeaderLength + (long)reply.Length <= _peerMaxFrame)
                {
                    if (_output.TryBeginWrite(out var output))
                    {
                        try
                        {
                            Wire.WriteSimple(output, FrameKind.Response, id, reply);
                        }
                        finally
                        {
                            _output.EndWrite(Wire.HeaderLength + reply.Length, flushNow: false);
                        }
                    }

                    return null;
                }

                MessagingLog.ReplyTooLarge(_logger, Id, id, reply.Length);
                code = MessageErrorCode.ReplyTooLarge;
                message = "The reply is longer than the requester's maximum frame length.";
                break;
            case OperationCanceledException when context.Token.IsCancellationRequested:
                if (context.CancelCode == MessageErrorCode.Unknown)
                {
                    return RpcErrorTypes.ConnectionLost; // the connection is gone: nobody to answer
                }

                code = context.CancelCode;
                message = code == MessageErrorCode.DeadlineExceeded ? "The request's deadline passed." : "The request was cancelled.";
                break;
            case InvalidRequestException invalid:
                code = MessageErrorCode.InvalidRequest;
                message = invalid.Message;
                break;
            default:
                MessagingLog.HandlerFaulted(_logger, Id, "Request", context.Method, id, failure);
                code = MessageErrorCode.HandlerFailed;
                message = _settings.IncludeExceptionDetails ? failure.GetType().Name + ": " + failure.Message : "The request handler failed.";
                break;
        }

        WriteErrorFrame(id, code, message);
        return RpcErrorTypes.Of(code);
    }

    /// <summary>Ends a received request's telemetry (once: the context forgets it).</summary>
    private void EndCall(RequestContext context, string? errorType)
    {
        var call = context.Call;
        if (call.IsTracked)
        {
            context.Call = default;
            call.End(_settings.Metrics, _time, errorType);
        }
    }

    private void CheckDrained()
    {
        lock (_lock)
        {
            if (!_goingAway || !_goAwayWritten || _running != 0 || _queue.First is not null || _drainStarted)
            {
                return;
            }

            _drainStarted = true;
        }

        _ = CompleteAfterDrainAsync();
    }

    private async Task CompleteAfterDrainAsync()
    {
        // Every answer is written: flush them and FIN. Then linger: keep reading (and ignoring) what the client sent
        // before it saw the GoAway until it closes its side, within a bound. Closing with unread bytes would make the
        // kernel send a reset, which can destroy answers the client has not read yet.
        await CompleteOutputAsync().ConfigureAwait(false);
        await ((Task)_ended.Task).WaitAsync(_settings.HandshakeTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_ended.Task.IsCompleted)
        {
            return;
        }

        lock (_lock)
        {
            _stopReading = true;
        }

        try
        {
            _connection.Input.CancelPendingRead();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The connection ended meanwhile: the read loop has stopped already. (Fire and forget: never throw.)
        }
    }

    /// <summary>The connection ended: queued work is dropped (not executed), running handlers are told and awaited.</summary>
    private async Task DropIncomingAsync()
    {
        List<RequestContext> dropped = [];
        Task? done = null;
        TaskCompletionSource? oneWayRoom;
        lock (_lock)
        {
            _stopReading = true;
            while (_queue.First is { } node)
            {
                RemoveQueuedLocked(node.Value);
                dropped.Add(node.Value);
            }

            foreach (var context in _incoming.Values)
            {
                // Under the lock: the context cannot finish and be reused for another request meanwhile.
                context.Cancel(MessageErrorCode.Unknown);
            }

            foreach (var context in _runningOneWays)
            {
                context.Cancel(MessageErrorCode.Unknown);
            }

            if (_running > 0)
            {
                _handlersDone ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                done = _handlersDone.Task;
            }

            oneWayRoom = _oneWayRoom;
            _oneWayRoom = null;
        }

        oneWayRoom?.TrySetResult();
        if (dropped.Count > 0)
        {
            MessagingLog.DroppedNotStarted(_logger, Id, dropped.Count);
        }

        foreach (var context in dropped)
        {
            EndCall(context, RpcErrorTypes.ConnectionLost);
            Recycle(context);
        }

        if (done is not null)
        {
            await done.ConfigureAwait(false);
        }
    }

    /// <summary>Deadlines of received requests: a queued one is answered without running, a running one's token fires.</summary>
    private long SweepIncoming(long now)
    {
        List<RequestContext>? expiredQueued = null;
        var next = long.MaxValue;
        lock (_lock)
        {
            foreach (var context in _incoming.Values)
            {
                if (context.Deadline == 0)
                {
                    continue;
                }

                if (context.Deadline > now)
                {
                    next = Math.Min(next, context.Deadline);
                }
                else if (context.State == RequestState.Queued)
                {
                    (expiredQueued ??= []).Add(context);
                }
                else if (context.CancelCode == MessageErrorCode.Unknown)
                {
                    context.Cancel(MessageErrorCode.DeadlineExceeded);
                }
            }

            if (expiredQueued is not null)
            {
                foreach (var context in expiredQueued)
                {
                    RemoveQueuedLocked(context);
                }
            }
        }

        if (expiredQueued is not null)
        {
            foreach (var context in expiredQueued)
            {
                WriteErrorFrame(context.RequestId, MessageErrorCode.DeadlineExceeded, "The request's deadline passed before it started.");
                EndCall(context, RpcErrorTypes.DeadlineExceeded);
                Recycle(context);
            }

            _output.FlushNow();
        }

        return next;
    }

    private void Recycle(RequestContext context)
    {
        context.Reset();
        lock (_lock)
        {
            if (_contextPool.Count < 256)
            {
                _contextPool.Push(context);
                return;
            }
        }

        context.Release();
    }

    /// <summary>Runs the queued handlers of the channel on the thread pool (no allocation per batch).</summary>
    private sealed class Dispatcher(MessageChannel channel) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            if (channel._handlerContext is { } context)
            {
                // The session's logging scope (see RunAsync).
                ExecutionContext.Run(context, static state => ((MessageChannel)state!).RunWorker(), channel);
            }
            else
            {
                channel.RunWorker();
            }
        }
    }
}
