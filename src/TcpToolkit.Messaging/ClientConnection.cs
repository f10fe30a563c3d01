using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Messaging;

/// <summary>
/// One connection of a <see cref="MessageClient"/> (any transport, seen only as a <see cref="Connection"/>): the
/// pending-request map, the read loop that matches replies, the write lock and the heartbeat. Lost once, for good; the
/// client then makes a new one.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly MessageClient _owner;
    private readonly Connection _connection;
    private readonly MessageClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    // Lock-free on the hot path: a request adds its id, the read loop removes it. Whoever removes an id completes it.
    private readonly ConcurrentDictionary<uint, PendingRequest> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<ConnectionLostException> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ConnectionLostException? _lostReason;
    private ITimer? _heartbeat;
    private Task _readLoop = Task.CompletedTask;
    private int _nextId;
    private long _lastReceived;
    private long _pingSent;
    private int _disposed;

    public ClientConnection(MessageClient owner, Connection connection, MessageClientOptions options, ILogger logger, TimeProvider time)
    {
        _owner = owner;
        _connection = connection;
        _options = options;
        _logger = logger;
        _time = time;
    }

    public string Id => _connection.Id;

    /// <summary>Gets a task that completes (never faults) with the reason once the connection is lost.</summary>
    public Task<ConnectionLostException> Lost => _lost.Task;

    public bool IsLost => Volatile.Read(ref _lostReason) is not null;

    public void Start()
    {
        _lastReceived = _time.GetTimestamp();
        if (_options.HeartbeatInterval is { } interval)
        {
            var period = interval < _options.HeartbeatTimeout ? interval : _options.HeartbeatTimeout;
            _heartbeat = _time.CreateTimer(static state => ((ClientConnection)state!).OnHeartbeat(), this, period, period);
        }

        _readLoop = ReadLoopAsync();
    }

    /// <summary>Adds a pending request with a fresh id. If the connection is already lost, the request fails at once.</summary>
    public PendingRequest Register()
    {
        var pending = new PendingRequest(this);
        while (true)
        {
            // Ids wrap after 2^32 requests; 0 is left to one-way messages, and an id still pending is skipped.
            var id = unchecked((uint)Interlocked.Increment(ref _nextId));
            if (id != 0 && _pending.TryAdd(id, pending))
            {
                pending.Id = id;
                break;
            }
        }

        // The loss sweep may have run before the add: fail this one too, or it would wait for its timeout.
        if (Volatile.Read(ref _lostReason) is { } reason && _pending.TryRemove(pending.Id, out _))
        {
            pending.TrySetException(reason);
        }

        return pending;
    }

    /// <summary>Fails a pending request with its token's cancellation, unless a reply or the loss got there first.</summary>
    public void Cancel(PendingRequest pending, CancellationToken cancellationToken)
    {
        if (_pending.TryRemove(pending.Id, out _))
        {
            pending.TrySetCanceled(cancellationToken);
        }
    }

    public async ValueTask WriteAsync(MessageKind kind, uint id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _lostReason) is { } lost)
        {
            throw lost;
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            FlushResult flush;
            try
            {
                Envelope.Write(_connection.Output, kind, id, payload.Span);
                flush = await _connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
            {
                // The transport broke (or the output was completed by a close): one typed exception for the caller.
                throw MarkLost(new ConnectionLostException("The connection was lost while sending.", ex));
            }

            if (flush.IsCompleted)
            {
                throw MarkLost(new ConnectionLostException("The connection was lost while sending."));
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Records the loss once: stops the heartbeat and fails every pending request at once. Returns the recorded reason.</summary>
    public ConnectionLostException MarkLost(ConnectionLostException reason)
    {
        // Record first, then tell the client: either the client publishes after seeing IsLost (and does not), or it
        // published before and OnConnectionLost takes the connection back.
        var recorded = Interlocked.CompareExchange(ref _lostReason, reason, null);
        _owner.OnConnectionLost(this);
        if (recorded is not null)
        {
            return recorded;
        }

        _heartbeat?.Dispose();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.TrySetException(reason);
            }
        }

        _lost.TrySetResult(reason);
        return reason;
    }

    /// <summary>Closes the connection (FIN when it is healthy, within its close timeout) and waits for the read loop. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        MarkLost(new ConnectionLostException("The connection was closed by the client."));
        await _closing.CancelAsync().ConfigureAwait(false);
        _connection.Input.CancelPendingRead();
        await _readLoop.ConfigureAwait(false);
        await _connection.CloseAsync().ConfigureAwait(false);
        if (_heartbeat is not null)
        {
            // Waits for a tick that is running, so no callback touches this connection after dispose.
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        _closing.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        ConnectionLostException reason;
        try
        {
            var reader = new FrameReader(_connection.Input, _logger);
            var decoder = new EnvelopeDecoder(_options.MaxFrameLength);
            while (true)
            {
                var result = await reader.ReadAsync(decoder, _closing.Token).ConfigureAwait(false);
                if (!result.HasFrame)
                {
                    reason = result.IsCompleted
                        ? new ConnectionLostException("The server closed the connection.")
                        : new ConnectionLostException("The connection was closed by the client.");
                    break;
                }

                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                Volatile.Write(ref _pingSent, 0);
                var envelope = result.Frame;
                switch (envelope.Kind)
                {
                    case MessageKind.Response:
                        if (_pending.TryRemove(envelope.Id, out var pending))
                        {
                            pending.TrySetResult(PooledFrame.CopyOf(envelope.Payload));
                        }
                        else
                        {
                            OnLateReply(envelope.Id);
                        }

                        break;
                    case MessageKind.Error:
                        if (_pending.TryRemove(envelope.Id, out var failed))
                        {
                            failed.TrySetException(new RemoteHandlerException(Encoding.UTF8.GetString(envelope.Payload)));
                        }
                        else
                        {
                            OnLateReply(envelope.Id);
                        }

                        break;
                    case MessageKind.Push:
                        OnPush(envelope);
                        break;
                    case MessageKind.Ping:
                        reader.Advance();
                        await WriteAsync(MessageKind.Pong, envelope.Id, ReadOnlyMemory<byte>.Empty, _closing.Token).ConfigureAwait(false);
                        break;
                    case MessageKind.Pong:
                        break;
                    default:
                        throw new InvalidFrameException($"A server may not send {envelope.Kind} messages.");
                }
            }
        }
        catch (ConnectionLostException ex)
        {
            reason = ex;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            reason = new ConnectionLostException("The connection was closed by the client.");
        }
        catch (Exception ex)
        {
            // Reset, abort (heartbeat), or a protocol error: the stream cannot be trusted any more.
            reason = new ConnectionLostException("The connection was lost: " + ex.Message, ex);
            if (ex is ProtocolException)
            {
                _connection.Abort(CloseReason.ProtocolError, "The server broke the message protocol: " + ex.Message);
            }
        }

        var recorded = MarkLost(reason);
        MessagingLog.ConnectionLost(_logger, _connection.RemoteEndPoint?.ToString() ?? "?", recorded.Message);
    }

    private void OnLateReply(uint id)
    {
        _owner.CountLateReply();
        MessagingLog.LateReply(_logger, _connection.Id, id);
    }

    private void OnPush(in Envelope envelope)
    {
        try
        {
            _options.PushReceived?.Invoke(envelope.Payload);
        }
        catch (Exception ex)
        {
            MessagingLog.PushCallbackFaulted(_logger, _connection.Id, ex);
        }
    }

    private void OnHeartbeat()
    {
        if (IsLost)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var pingSent = Volatile.Read(ref _pingSent);
        if (pingSent != 0)
        {
            if (_time.GetElapsedTime(pingSent, now) >= _options.HeartbeatTimeout)
            {
                // A half-open or hung server: nothing came back. Drop the connection; the read loop then ends.
                MessagingLog.HeartbeatTimedOut(_logger, _connection.Id, _options.HeartbeatTimeout);
                MarkLost(new ConnectionLostException($"The server sent nothing within {_options.HeartbeatTimeout} of a ping."));
                _connection.Abort("Heartbeat timed out.");
            }

            return;
        }

        if (_time.GetElapsedTime(Volatile.Read(ref _lastReceived), now) >= _options.HeartbeatInterval)
        {
            // Recorded before the write, so the next tick measures from now even if the write is slow.
            Volatile.Write(ref _pingSent, now == 0 ? 1 : now);
            _ = SendPingAsync();
        }
    }

    private async Task SendPingAsync()
    {
        try
        {
            await WriteAsync(MessageKind.Ping, 0, ReadOnlyMemory<byte>.Empty, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionLostException or OperationCanceledException or ObjectDisposedException)
        {
            // The loss is already recorded (or the connection is closing); the heartbeat has nothing more to do.
        }
    }
}

/// <summary>A request waiting for its reply. Completed by exactly one party: whoever removes its id from the map.</summary>
internal sealed class PendingRequest(ClientConnection connection)
    : TaskCompletionSource<PooledFrame>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public uint Id { get; set; }

    public ClientConnection Connection { get; } = connection;
}
