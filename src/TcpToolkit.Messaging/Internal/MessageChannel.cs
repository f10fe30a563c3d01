using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Framing;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// One connection speaking the message protocol, the same engine on both ends (a server's session, each of a client's
/// connections): the hello exchange, the read loop, the requests it sent (pooled pending entries, matched by 64-bit
/// id) and those it received (a queue, handlers on the thread pool, never on the read loop), one coalescing output,
/// and one timer that runs the heartbeat and every deadline of the connection.
/// </summary>
/// <remarks>
/// The read loop never waits for a handler or for room in the output, so pings, cancels and answers are read while
/// handlers run or the peer is slow (liveness is independent of request backpressure). Memory is bounded by the
/// limits announced in the hello: the peer must keep its requests in flight within them (the client end does), and a
/// peer that does not is closed as a protocol error.
/// </remarks>
internal sealed partial class MessageChannel
{
    private readonly Connection _connection;
    private readonly ChannelSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly OutputWriter _output;
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ulong> _peerGoingAway = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _startTimestamp;
    private ITimer? _timer;
    private long _armedAt = long.MaxValue;
    private long _lastReceived;
    private long _pingSent;
    private bool _handshakeDone;
    private Exception? _lostReason;
    private bool _stopReading;
    private EndPointTags? _localTags;
    private EndPointTags? _remoteTags;
    private ExecutionContext? _handlerContext;

    // The peer's limits, from its hello.
    private int _peerMaxFrame = Wire.MinFrameLength;
    private int _peerMaxInFlight = 1;
    private int _peerMaxBytes = Wire.MinFrameLength;
    private TimeSpan? _pingInterval;

    public MessageChannel(Connection connection, ChannelSettings settings)
    {
        _connection = connection;
        _settings = settings;
        _logger = settings.Logger;
        _time = settings.Time;
        _nextId = settings.FirstRequestId;
        _output = new OutputWriter(connection.Output, settings.MaxBufferedBytes, OnOutputFailed);
        _startTimestamp = _lastReceived = _time.GetTimestamp();
        _dispatcher = new Dispatcher(this);
        Session = new MessageSession(this);
    }

    public MessageSession Session { get; }

    public Connection Connection => _connection;

    public string Id => _connection.Id;

    public TimeProvider Time => _time;

    /// <summary>Gets the request/response instruments of this endpoint's meter.</summary>
    public MessagingMetrics Metrics => _settings.Metrics;

    /// <summary>Gets the tags of this end's endpoint (a server span's <c>server.*</c>), worked out on first use.</summary>
    public EndPointTags LocalTags => _localTags ??= new EndPointTags(_connection.LocalEndPoint);

    /// <summary>Gets the tags of the peer's endpoint (the <c>server.*</c> of a request this end sends), worked out on first use.</summary>
    public EndPointTags RemoteTags => _remoteTags ??= new EndPointTags(_connection.RemoteEndPoint);

    public IMessageSerializer? SerializerOrNull => _settings.Serializer;

    public IMessageSerializer Serializer => _settings.Serializer
        ?? throw new InvalidOperationException("No serializer is configured: set the Serializer option (for example a JsonMessageSerializer) to use typed calls.");

    /// <summary>Gets the hello metadata the client sent (empty on the client's own end).</summary>
    public IReadOnlyDictionary<string, string> RemoteMetadata { get; private set; } = new Dictionary<string, string>(0);

    /// <summary>Gets a task that completes when the hello exchange is done (faults when it failed).</summary>
    public Task Handshake => _handshake.Task;

    /// <summary>Gets a task that completes (never faults) with the reason once the channel has ended.</summary>
    public Task<Exception> Ended => _ended.Task;

    /// <summary>Gets a task that completes with the peer's accepted-request count when it sends GoAway.</summary>
    public Task<ulong> PeerGoingAway => _peerGoingAway.Task;

    public bool IsUsable
    {
        get
        {
            lock (_lock)
            {
                return _lostReason is null && !_peerWentAway && !_goingAway;
            }
        }
    }

    /// <summary>Gets the most payload bytes of the peer's requests this channel has held at once (for tests).</summary>
    internal long IncomingBytesHighWater => Volatile.Read(ref _incomingBytesHighWater);

    /// <summary>Gets the most bytes the output's side buffer has held (for tests).</summary>
    internal long OutputHighWater => _output.SideHighWater;

    /// <summary>
    /// Runs the connection until it ends: the hello exchange, then the read loop. A server passes its stopping token:
    /// when it fires the channel goes away gracefully. Completes after every handler of the connection has finished.
    /// </summary>
    /// <exception cref="ProtocolException">The peer broke the protocol (the connection is closed as a protocol error).</exception>
    public async Task RunAsync(Func<MessageSession, CancellationToken, ValueTask>? started, CancellationToken stopping)
    {
        // Issue #14: every event of the session, the handlers' own included, carries the connection id as a scope.
        // Handlers run on the thread pool without this flow's context, so they get it back from the one captured here
        // (only when something logs: without a logger there is no scope and nothing to capture).
        using var scope = _logger.IsEnabled(LogLevel.Critical) ? _logger.BeginScope(new ConnectionLogScope(Id)) : null;
        if (scope is not null)
        {
            _handlerContext = ExecutionContext.Capture();
        }

        var reader = new FrameReader(_connection.Input, _logger);
        var decoder = new MessageFrameDecoder(_settings.MaxFrameLength);
        Exception? failure = null;
        var graceful = false;
        _timer = _time.CreateTimer(static state => ((MessageChannel)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Rearm(_time.GetTimestamp() + Ticks(_settings.HandshakeTimeout));
        try
        {
            if (_settings.IsClient)
            {
                WriteControl(static (output, channel) => Wire.WriteHello(
                    output,
                    FrameKind.Hello,
                    new HelloFields(channel._settings.ProtocolVersion, channel._settings.MaxFrameLength, channel._settings.MaxIncomingRequests, channel._settings.MaxBufferedBytes, 0),
                    channel._settings.HelloMetadata), flushNow: true);
            }

            if (!await ReadHelloAsync(reader, decoder).ConfigureAwait(false))
            {
                failure = new ConnectionLostException("The connection closed during the hello exchange.");
            }
            else
            {
                if (started is not null)
                {
                    // The server's session hook runs before any request of the session is dispatched (they wait in the
                    // transport meanwhile); the client's hook runs in MessageClient, on the published channel.
                    await started(Session, stopping).ConfigureAwait(false);
                }

                using var stop = stopping.CanBeCanceled
                    ? stopping.UnsafeRegister(static state => ((MessageChannel)state!).BeginGoingAway("The server is stopping."), this)
                    : default;
                graceful = await ReadLoopAsync(reader, decoder).ConfigureAwait(false);
            }
        }
        catch (ProtocolMismatchException ex) when (_settings.IsClient)
        {
            // The server said why (or answered with another version): close cleanly, it did nothing wrong.
            failure = ex;
            graceful = true;
            MessagingLog.ProtocolError(_logger, Id, ex.Message);
            FailHandshake(ex);
        }
        catch (ProtocolException ex)
        {
            failure = ex;
            MessagingLog.ProtocolError(_logger, Id, ex.Message);
            FailHandshake(ex);
            _connection.Abort(CloseReason.ProtocolError, "The peer broke the message protocol: " + ex.Message);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        await ShutdownAsync(failure, graceful).ConfigureAwait(false);
        if (failure is ProtocolException protocolError && !_settings.IsClient)
        {
            throw protocolError;
        }
    }

    /// <summary>Ends the channel from this side: pending requests fail, the output is flushed and completed, the read loop stops.</summary>
    public async Task CloseAsync(Exception reason)
    {
        lock (_lock)
        {
            _lostReason ??= reason;
            _stopReading = true;
        }

        FailOutgoing(reason);
        await CompleteOutputAsync().ConfigureAwait(false);
        _connection.Input.CancelPendingRead();
        await _ended.Task.ConfigureAwait(false);
    }

    /// <summary>Drops the connection (heartbeat, handshake timeout, a failing hook).</summary>
    public void Abort(Exception reason, string message)
    {
        lock (_lock)
        {
            _lostReason ??= reason;
        }

        FailOutgoing(reason);
        _connection.Abort(message);
    }

    private async ValueTask<bool> ReadHelloAsync(FrameReader reader, MessageFrameDecoder decoder)
    {
        var result = await reader.ReadAsync(decoder).ConfigureAwait(false);
        if (!result.HasFrame)
        {
            FailHandshake(new ConnectionLostException("The connection closed during the hello exchange."));
            return false;
        }

        var frame = result.Frame;
        Touch();
        if (_settings.IsClient)
        {
            if (frame.Kind == FrameKind.Error && frame.Id == 0)
            {
                var message = Encoding.UTF8.GetString(frame.Payload);
                throw frame.ErrorCode == MessageErrorCode.ProtocolMismatch
                    ? new ProtocolMismatchException("The server refused the hello: " + message)
                    : new InvalidFrameException("The server refused the connection: " + message);
            }

            if (frame.Kind != FrameKind.HelloAck)
            {
                throw new ProtocolMismatchException($"The server answered the hello with a {frame.Kind} frame: it is not a message server of this protocol.");
            }

            AcceptPeerHello(frame.Hello, "server");
            _pingInterval = MinInterval(_settings.PingInterval, frame.Hello.PingIntervalMilliseconds);
            MarkHandshakeDone();
        }
        else
        {
            if (frame.Kind != FrameKind.Hello)
            {
                throw new ProtocolMismatchException($"The first frame was a {frame.Kind}, not a hello: the client does not speak this protocol version.");
            }

            try
            {
                AcceptPeerHello(frame.Hello, "client");
            }
            catch (ProtocolMismatchException ex)
            {
                // Tell the client why before closing, so it fails with the same clear error instead of a reset.
                WriteErrorFrame(0, MessageErrorCode.ProtocolMismatch, ex.Message);
                await _output.CompleteAsync().WaitAsync(_settings.HandshakeTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

                // Wait (bounded) for the client to close after reading why: closing first, as a protocol error does
                // (an abort), could discard the error frame before the client read it.
                reader.Advance();
                await DrainInputAsync().WaitAsync(_settings.HandshakeTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }

            if (!frame.Metadata.IsEmpty)
            {
                RemoteMetadata = Wire.DecodeMetadata(frame.Metadata.ToArray());
            }

            // Done before the answer is sent: once the client has it, the hello timeout must not fire here.
            MarkHandshakeDone();
            var ping = _settings.PingInterval is { } interval ? (uint)Math.Clamp(interval.TotalMilliseconds, 1, uint.MaxValue) : 0;
            WriteControl(
                (output, channel) => Wire.WriteHello(
                    output,
                    FrameKind.HelloAck,
                    new HelloFields(channel._settings.ProtocolVersion, channel._settings.MaxFrameLength, channel._settings.MaxIncomingRequests, channel._settings.MaxBufferedBytes, ping),
                    ReadOnlySpan<byte>.Empty),
                flushNow: true);
        }

        reader.Advance();
        _handshake.TrySetResult();
        Rearm(NextHeartbeatDue(_time.GetTimestamp()));
        return true;
    }

    private void MarkHandshakeDone()
    {
        lock (_lock)
        {
            _handshakeDone = true;
        }
    }

    private void AcceptPeerHello(in HelloFields hello, string peer)
    {
        if (hello.Version != _settings.ProtocolVersion)
        {
            throw new ProtocolMismatchException(
                $"Protocol version mismatch: this end speaks version {_settings.ProtocolVersion}, the {peer} version {hello.Version}.");
        }

        if (hello.MaxFrameLength < Wire.MinFrameLength || hello.MaxRequestsInFlight < 1 || hello.MaxBufferedBytes < 1)
        {
            throw new ProtocolMismatchException(
                $"The {peer} announced unusable limits: max frame {hello.MaxFrameLength} (at least {Wire.MinFrameLength}), "
                + $"{hello.MaxRequestsInFlight} requests in flight and {hello.MaxBufferedBytes} buffered bytes (at least 1).");
        }

        lock (_lock)
        {
            _peerMaxFrame = hello.MaxFrameLength;
            _peerMaxInFlight = Math.Min(hello.MaxRequestsInFlight, _settings.MaxOutgoingRequests);
            _peerMaxBytes = hello.MaxBufferedBytes;
        }
    }

    // True when the peer closed cleanly or this end went away gracefully.
    private async ValueTask<bool> ReadLoopAsync(FrameReader reader, MessageFrameDecoder decoder)
    {
        while (true)
        {
            var result = await reader.ReadAsync(decoder).ConfigureAwait(false);
            if (!result.HasFrame)
            {
                if (result.IsCompleted)
                {
                    return true;
                }

                lock (_lock)
                {
                    if (_stopReading)
                    {
                        return _goingAway || _lostReason is null or ConnectionLostException;
                    }
                }

                continue;
            }

            Touch();
            if (Handle(result.Frame) is { } wait)
            {
                // One-way messages beyond the byte window: their sender cannot know when they are done, so TCP
                // backpressure slows it down (requests never pause the loop).
                reader.Advance();
                await wait.ConfigureAwait(false);
            }
        }
    }

    private Task? Handle(in MessageFrame frame)
    {
        switch (frame.Kind)
        {
            case FrameKind.Request or FrameKind.OneWay:
                return OnIncoming(frame);
            case FrameKind.Response or FrameKind.Error:
                if (frame.Kind == FrameKind.Error && frame.Id == 0)
                {
                    throw new InvalidFrameException("The peer sent a connection error: " + Encoding.UTF8.GetString(frame.Payload));
                }

                OnAnswer(frame);
                return null;
            case FrameKind.Cancel:
                OnCancel(frame.Id);
                return null;
            case FrameKind.Ping:
                WriteSimpleFrame(FrameKind.Pong, frame.Id);
                return null;
            case FrameKind.Pong:
                _settings.PongReceived?.Invoke();
                return null;
            case FrameKind.GoAway:
                OnPeerGoingAway(frame.Id, Encoding.UTF8.GetString(frame.Payload));
                return null;
            default:
                throw new InvalidFrameException($"A {frame.Kind} frame after the hello exchange.");
        }
    }

    private void Touch()
    {
        var now = _time.GetTimestamp();
        Volatile.Write(ref _lastReceived, now);
        if (Volatile.Read(ref _pingSent) != 0)
        {
            // The answer to a ping: the timer waits for the ping's timeout; move it back to the next ping's time, or
            // the interval would stretch to the timeout.
            Volatile.Write(ref _pingSent, 0);
            Rearm(NextHeartbeatDue(now));
        }
    }

    private async Task ShutdownAsync(Exception? failure, bool graceful)
    {
        var reason = failure switch
        {
            null when graceful => new ConnectionLostException(_settings.IsClient ? "The server closed the connection." : "The client closed the connection."),
            null => new ConnectionLostException("The connection was closed."),
            ConnectionLostException or ProtocolMismatchException => failure,
            _ => new ConnectionLostException("The connection was lost: " + failure.Message, failure),
        };
        lock (_lock)
        {
            _lostReason ??= reason;
            reason = _lostReason;
            _stopReading = true;
        }

        FailHandshake(reason);
        FailOutgoing(reason);
        await DropIncomingAsync().ConfigureAwait(false);
        if (graceful || _goingAway)
        {
            // Every answer written so far goes out before the FIN (the drained handlers' included).
            await CompleteOutputAsync().ConfigureAwait(false);
        }
        else
        {
            _output.Close();
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        MessagingLog.ChannelEnded(_logger, Id, reason.Message);
        _ended.TrySetResult(reason);
    }

    private void OnOutputFailed(Exception exception)
    {
        var reason = new ConnectionLostException("The connection was lost while sending: " + exception.Message, exception);
        lock (_lock)
        {
            _lostReason ??= reason;
        }

        FailOutgoing(reason);
        _connection.Abort("The connection's output failed.");
    }

    /// <summary>Writes one control frame (pong, cancel, error, goaway): never waits for room.</summary>
    private bool WriteControl(Action<IBufferWriter<byte>, MessageChannel> write, bool flushNow)
    {
        if (!_output.TryBeginWrite(out var output))
        {
            return false;
        }

        try
        {
            write(output, this);
        }
        finally
        {
            _output.EndWrite(Wire.HeaderLength, flushNow);
        }

        return true;
    }

    /// <summary>
    /// Flushes and completes the output, within the handshake timeout: a peer that does not read cannot hold a close
    /// (or a client's dispose) forever; past it the connection is aborted.
    /// </summary>
    private async Task CompleteOutputAsync()
    {
        var completed = _output.CompleteAsync();
        await completed.WaitAsync(_settings.HandshakeTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!completed.IsCompleted)
        {
            _connection.Abort("The peer did not take the last frames in time.");
            _output.Close();
        }
    }

    private async Task DrainInputAsync()
    {
        while (true)
        {
            var result = await _connection.Input.ReadAsync().ConfigureAwait(false);
            _connection.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private void FailHandshake(Exception exception)
    {
        if (_handshake.TrySetException(exception))
        {
            // A server never awaits its handshake: mark the fault observed so it never reaches UnobservedTaskException.
            _ = _handshake.Task.Exception;
        }
    }

    /// <summary>Writes an Error frame (never waits for room). No closure: called on every failed request.</summary>
    private bool WriteErrorFrame(ulong id, MessageErrorCode code, string message, bool flushNow = false)
    {
        if (!_output.TryBeginWrite(out var output))
        {
            return false;
        }

        try
        {
            Wire.WriteError(output, id, code, message, _handshakeDone ? _peerMaxFrame : Wire.MinFrameLength);
        }
        finally
        {
            _output.EndWrite(Wire.HeaderLength, flushNow);
        }

        return true;
    }

    /// <summary>Writes a Cancel, Ping or Pong (never waits for room).</summary>
    private bool WriteSimpleFrame(FrameKind kind, ulong id, bool flushNow = false)
    {
        if (!_output.TryBeginWrite(out var output))
        {
            return false;
        }

        try
        {
            Wire.WriteSimple(output, kind, id, ReadOnlySpan<byte>.Empty);
        }
        finally
        {
            _output.EndWrite(Wire.HeaderLength, flushNow);
        }

        return true;
    }

    private long Ticks(TimeSpan span) => span == Timeout.InfiniteTimeSpan ? long.MaxValue / 2 : (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static TimeSpan? MinInterval(TimeSpan? own, uint hintMilliseconds)
    {
        if (hintMilliseconds == 0)
        {
            return own;
        }

        var hint = TimeSpan.FromMilliseconds(hintMilliseconds);
        return own is { } value && value < hint ? value : hint;
    }
}
