using System.Runtime.CompilerServices;
using System.Text;
using TcpToolkit.Framing;

namespace TcpToolkit.Messaging.Internal;

/// <summary>The requests this end sends: ids, the pending map, the peer's limits as credit, answers, timeouts, loss.</summary>
internal sealed partial class MessageChannel
{
    private readonly Dictionary<ulong, PendingRequest> _pending = [];
    private readonly Stack<PendingRequest> _pendingPool = new();
    private readonly List<TaskCompletionSource> _creditWaiters = [];
    private ulong _nextId;
    private long _outgoingBytes;
    private ulong _sentRequests;
    private bool _peerWentAway;

    /// <summary>
    /// Sends a request and returns the wait for its answer. Synchronous up to the wait when the peer's limits leave
    /// room (no allocation: the pending entry is pooled); otherwise it waits for room first.
    /// </summary>
    /// <remarks>
    /// The deadline is a timestamp of the channel's clock, or 0 for none. Once this returns, the channel ends
    /// <paramref name="call"/> with the request's outcome; when it throws (nothing was sent), the caller still owns it.
    /// </remarks>
    public ValueTask<MessageReply> SendRequestAsync(
        string method, ReadOnlyMemory<byte> payload, byte[]? metadata, long deadline, RpcCall call, CancellationToken cancellationToken)
    {
        var methodBytes = Wire.MethodByteCount(method);
        var frameLength = Wire.RequestOverhead + methodBytes + (metadata is null ? 0 : 2 + metadata.Length) + payload.Length;
        PendingRequest pending;
        lock (_lock)
        {
            ThrowIfNotUsable();
            if (frameLength > _peerMaxFrame)
            {
                throw new FrameTooLargeException(frameLength, _peerMaxFrame);
            }

            if (!HasCredit(payload.Length))
            {
                return WaitForCreditThenSendAsync(method, payload, metadata, deadline, call, cancellationToken);
            }

            pending = RegisterLocked(payload.Length, deadline, call);
        }

        return Send(pending, method, methodBytes, payload, metadata, deadline, frameLength, cancellationToken);
    }

    /// <summary>Sends a one-way message: copied before the call returns; waits only when the peer does not read.</summary>
    public ValueTask SendOneWayAsync(string method, ReadOnlyMemory<byte> payload, byte[]? metadata, CancellationToken cancellationToken)
    {
        var methodBytes = Wire.MethodByteCount(method);
        var frameLength = Wire.HeaderLength + 1 + methodBytes + (metadata is null ? 0 : 2 + metadata.Length) + payload.Length;
        lock (_lock)
        {
            ThrowIfNotUsable();
            if (frameLength > _peerMaxFrame)
            {
                throw new FrameTooLargeException(frameLength, _peerMaxFrame);
            }
        }

        if (!_output.TryBeginWrite(out var output))
        {
            throw new ConnectionLostException("The connection is closed.");
        }

        try
        {
            Wire.WriteCall(output, FrameKind.OneWay, 0, 0, method, methodBytes, metadata, payload.Span);
        }
        finally
        {
            _output.EndWrite(frameLength, flushNow: false);
        }

        _settings.Metrics.OneWaySent(method);

        // The copy is made; a peer that does not read makes the next sender wait, not this one's bytes.
        return _output.HasRoom ? ValueTask.CompletedTask : new ValueTask(_output.WaitForRoomAsync(cancellationToken));
    }

    /// <summary>Takes a pending entry back (its wire and caller parts are both over).</summary>
    public void ReturnToPool(PendingRequest pending)
    {
        lock (_lock)
        {
            if (_pendingPool.Count < 1024)
            {
                _pendingPool.Push(pending);
            }
        }
    }

    /// <summary>Fails every pending request with <paramref name="reason"/>: the connection is gone.</summary>
    private void FailOutgoing(Exception reason)
    {
        List<PendingRequest> failed;
        List<TaskCompletionSource> waiters;
        lock (_lock)
        {
            if (_pending.Count == 0 && _creditWaiters.Count == 0)
            {
                return;
            }

            failed = [.. _pending.Values];
            _pending.Clear();
            _outgoingBytes = 0;
            waiters = [.. _creditWaiters];
            _creditWaiters.Clear();
        }

        foreach (var pending in failed)
        {
            if (!pending.TrySetException(reason) && pending.Abandoned)
            {
                // The caller had given up already; nothing else to tell.
            }

            pending.ReleaseWire();
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetResult();
        }
    }

    private void ThrowIfNotUsable()
    {
        if (_lostReason is { } lost)
        {
            throw new RequestNotExecutedException("The connection is closed; the request was not sent.", lost);
        }

        if (_goingAway || _peerWentAway)
        {
            throw new RequestNotExecutedException("The connection is going away; the request was not sent.");
        }
    }

    private bool HasCredit(int bytes)
        => _pending.Count < _peerMaxInFlight && (_pending.Count == 0 || _outgoingBytes + bytes <= _peerMaxBytes);

    private PendingRequest RegisterLocked(int bytes, long deadline, RpcCall call)
    {
        var pending = _pendingPool.Count > 0 ? _pendingPool.Pop() : new PendingRequest(this);
        ulong id;
        do
        {
            // 64-bit ids do not wrap in practice; if they ever do, 0 (one-way) and ids still pending are skipped.
            id = _nextId++;
        }
        while (id == 0 || _pending.ContainsKey(id));

        pending.Initialize(id, deadline, bytes, call);
        _pending.Add(id, pending);
        _outgoingBytes += bytes;
        return pending;
    }

    private ValueTask<MessageReply> Send(
        PendingRequest pending, string method, int methodBytes, ReadOnlyMemory<byte> payload, byte[]? metadata, long deadline, int frameLength, CancellationToken cancellationToken)
    {
        uint timeoutMilliseconds = 0;
        if (deadline != 0)
        {
            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            timeoutMilliseconds = (uint)Math.Clamp(Math.Ceiling(remaining.TotalMilliseconds), 1, uint.MaxValue);
            if (deadline < Volatile.Read(ref _armedAt))
            {
                Rearm(deadline);
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            pending.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((PendingRequest)state!).Channel.OnCallerCancelled((PendingRequest)state!, token), pending);
        }

        if (!_output.TryBeginWrite(out var output))
        {
            // Closed between the check and the write: the request never left this process.
            CompleteWire(pending.Id, new RequestNotExecutedException("The connection is closed; the request was not sent."));
        }
        else
        {
            try
            {
                pending.Sequence = ++_sentRequests;
                Wire.WriteCall(output, FrameKind.Request, pending.Id, timeoutMilliseconds, method, methodBytes, metadata, payload.Span);
            }
            finally
            {
                _output.EndWrite(frameLength, flushNow: false);
            }
        }

        return new ValueTask<MessageReply>(pending, pending.Version);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageReply> WaitForCreditThenSendAsync(
        string method, ReadOnlyMemory<byte> payload, byte[]? metadata, long deadline, RpcCall call, CancellationToken cancellationToken)
    {
        var pendingOwnsCall = false;
        try
        {
            var methodBytes = Wire.MethodByteCount(method);
            var frameLength = Wire.RequestOverhead + methodBytes + (metadata is null ? 0 : 2 + metadata.Length) + payload.Length;
            while (true)
            {
                TaskCompletionSource? waiter = null;
                PendingRequest? pending = null;
                lock (_lock)
                {
                    ThrowIfNotUsable();
                    if (HasCredit(payload.Length))
                    {
                        pending = RegisterLocked(payload.Length, deadline, call);
                        pendingOwnsCall = true;
                    }
                    else
                    {
                        waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        _creditWaiters.Add(waiter);
                    }
                }

                if (pending is not null)
                {
                    return await Send(pending, method, methodBytes, payload, metadata, deadline, frameLength, cancellationToken).ConfigureAwait(false);
                }

                var remaining = deadline == 0 ? Timeout.InfiniteTimeSpan : _time.GetElapsedTime(_time.GetTimestamp(), deadline);
                if (remaining != Timeout.InfiniteTimeSpan && remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException("No room for the request within its timeout: the peer's limit of requests in flight was reached.");
                }

                try
                {
                    await waiter!.Task.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    lock (_lock)
                    {
                        _creditWaiters.Remove(waiter!);
                    }

                    throw new TimeoutException("No room for the request within its timeout: the peer's limit of requests in flight was reached.");
                }
                catch (OperationCanceledException)
                {
                    lock (_lock)
                    {
                        _creditWaiters.Remove(waiter!);
                    }

                    throw;
                }
            }
        }
        catch (Exception ex) when (!pendingOwnsCall && call.IsTracked)
        {
            // No room came (timeout, cancellation, the connection closed): the request never became pending.
            call.End(_settings.Metrics, _time, ex);
            throw;
        }
    }

    private void OnAnswer(in MessageFrame frame)
    {
        PendingRequest? pending;
        lock (_lock)
        {
            if (_pending.Remove(frame.Id, out pending))
            {
                ReleaseCreditLocked(pending);
            }
        }

        if (pending is null)
        {
            // An answer to a request this end no longer knows (the loss sweep ran, or an id the peer made up).
            OnLateReply(frame.Id);
            return;
        }

        var delivered = frame.Kind == FrameKind.Response
            ? pending.TrySetReply(frame.Payload)
            : pending.TrySetException(ToException(frame.ErrorCode, Encoding.UTF8.GetString(frame.Payload)));
        if (!delivered)
        {
            OnLateReply(frame.Id);
        }

        pending.ReleaseWire();
    }

    private void OnLateReply(ulong id)
    {
        _settings.LateReply?.Invoke();
        _settings.Metrics.LateReply();
        MessagingLog.LateReply(_logger, Id, id);
    }

    private void ReleaseCreditLocked(PendingRequest pending)
    {
        _outgoingBytes -= pending.ChargedBytes;
        if (_creditWaiters.Count > 0)
        {
            foreach (var waiter in _creditWaiters)
            {
                waiter.TrySetResult();
            }

            _creditWaiters.Clear();
        }
    }

    /// <summary>Ends the wire part of a pending request that will get no answer.</summary>
    private void CompleteWire(ulong id, Exception exception)
    {
        PendingRequest? pending;
        lock (_lock)
        {
            if (_pending.Remove(id, out pending))
            {
                ReleaseCreditLocked(pending);
            }
        }

        if (pending is not null)
        {
            pending.TrySetException(exception);
            pending.ReleaseWire();
        }
    }

    private void OnCallerCancelled(PendingRequest pending, CancellationToken token)
    {
        if (pending.TrySetException(new OperationCanceledException("The request was cancelled.", token)))
        {
            pending.Abandoned = true;
            SendCancel(pending.Id);
        }
    }

    private void SendCancel(ulong id)
    {
        // The peer answers (Cancelled, or its reply if it was done): the slot stays taken until then.
        WriteSimpleFrame(FrameKind.Cancel, id);
    }

    private void OnPeerGoingAway(ulong acceptedRequests, string reason)
    {
        List<PendingRequest> notAccepted = [];
        lock (_lock)
        {
            // Set under the lock that registers requests: no request can register after this sweep and be missed.
            _peerWentAway = true;
            foreach (var pending in _pending.Values)
            {
                // Sequence 0: registered but not written yet; it will find the connection going away.
                if (pending.Sequence == 0 || pending.Sequence > acceptedRequests)
                {
                    notAccepted.Add(pending);
                }
            }

            foreach (var pending in notAccepted)
            {
                _pending.Remove(pending.Id);
                ReleaseCreditLocked(pending);
            }
        }

        MessagingLog.PeerGoingAway(_logger, Id, acceptedRequests, reason);
        _settings.Metrics.GoAway(sent: false);
        foreach (var pending in notAccepted)
        {
            pending.TrySetException(new RequestNotExecutedException("The peer is going away and did not accept the request: " + reason));
            pending.ReleaseWire();
        }

        _peerGoingAway.TrySetResult(acceptedRequests);
    }

    private static Exception ToException(MessageErrorCode code, string message) => code switch
    {
        MessageErrorCode.NotExecuted => new RequestNotExecutedException(message),
        _ when Enum.IsDefined(code) => new RemoteErrorException(code, message),
        _ => new RemoteErrorException(MessageErrorCode.Unknown, message),
    };

    /// <summary>Times out the requests whose deadline passed; returns the earliest deadline still pending (or long.MaxValue).</summary>
    private long SweepOutgoing(long now)
    {
        List<PendingRequest>? expired = null;
        var next = long.MaxValue;
        lock (_lock)
        {
            foreach (var pending in _pending.Values)
            {
                if (pending.Deadline == 0 || pending.HasOutcome)
                {
                    continue;
                }

                if (pending.Deadline <= now)
                {
                    (expired ??= []).Add(pending);
                }
                else if (pending.Deadline < next)
                {
                    next = pending.Deadline;
                }
            }
        }

        if (expired is not null)
        {
            foreach (var pending in expired)
            {
                if (pending.TrySetException(new TimeoutException("No reply within the request's timeout.")))
                {
                    pending.Abandoned = true;
                    SendCancel(pending.Id);
                }
            }

            _output.FlushNow();
        }

        return next;
    }
}
