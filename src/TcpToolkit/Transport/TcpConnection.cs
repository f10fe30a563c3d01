using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics.Internal;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Transport;

/// <summary>
/// One TCP connection: a <see cref="Connection"/> over a socket, with one receive loop and one send loop between the
/// socket and a pair of pipes. Read what the peer sent from <see cref="Connection.Input"/>, write to
/// <see cref="Connection.Output"/> and flush; or use the guide-style helpers <see cref="Connection.SendAsync"/>
/// (<c>sendall</c>) and <see cref="Connection.ReceiveAsync"/> (<c>recv</c>).
/// </summary>
/// <remarks>
/// Completing <see cref="Connection.Output"/> sends FIN after every pending byte (a half-close); the peer's FIN
/// completes <see cref="Connection.Input"/>. <see cref="CloseAsync"/> closes gracefully, <see cref="Abort(CloseReason, string?)"/>
/// resets. Disposing closes gracefully within the close timeout, then aborts.
/// </remarks>
public sealed partial class TcpConnection : Connection, ITransportObserver
{
    private const int ClosedTokenClosing = 1;
    private const int ClosedTokenCancelled = 2;

    private static long s_lastId;

    private readonly SocketPump _pump;
    private readonly ConnectionSettings _settings;
    private CancellationTokenSource? _closedSource;
    private readonly Action<TcpConnection>? _onClosed;
    private readonly ConnectionTelemetry _telemetry;
    private IDuplexPipe _transport;
    private Task? _closeTask;
    private int _closeReason;
    private int _closedSignalled;

    internal TcpConnection(
        Socket socket, ConnectionSettings settings, KeyValuePair<string, object?>[] endPointTags, Action<TcpConnection>? onClosed = null, SocketIO? io = null)
    {
        _settings = settings;
        _onClosed = onClosed;
        Id = "tcp-" + Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        var openedAt = settings.TimeProvider.GetTimestamp();
        _telemetry = settings.Metrics.Create(endPointTags, settings.TimeProvider, openedAt, settings.RecordFrameSizes);
        Telemetry = _telemetry;
        _pump = new SocketPump(socket, settings, Id, _telemetry, this, io);
        _transport = _pump;
        _timeouts = new TimeoutTracker(settings.Timeouts, settings.TimeProvider, openedAt);
        if (settings.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            // The addresses as text only for someone who logs them: two strings per accepted connection otherwise.
            SocketLog.ConnectionOpened(settings.Logger, Id, LocalEndPoint?.ToString(), RemoteEndPoint?.ToString());
        }

        // Counted as open only now that nothing above can throw: a failed setup leaves no connection in the metrics.
        settings.Metrics.Open(_telemetry);
        _pump.Start();
    }

    /// <inheritdoc />
    public override string Id { get; }

    /// <summary>Gets or sets the local endpoint; the socket's at first.</summary>
    public override EndPoint? LocalEndPoint { get; set; }

    /// <summary>Gets or sets the remote endpoint; the socket's peer at first, the original client once a PROXY header said so.</summary>
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>
    /// Gets or sets the duplex pipe the application uses: the socket's pipe pair at first, a middleware's layer over
    /// it afterwards. <see cref="CloseAsync"/> completes this (outermost) output, so layers close in order.
    /// </summary>
    public override IDuplexPipe Transport
    {
        get => Volatile.Read(ref _transport);
        set => Volatile.Write(ref _transport, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <inheritdoc />
    public override CancellationToken ConnectionClosed
    {
        get
        {
            if (Volatile.Read(ref _closedSource) is { } source)
            {
                return source.Token;
            }

            // Created when first asked for (issue #17: an idle connection nobody watches holds no source).
            if (Volatile.Read(ref _closedSignalled) == ClosedTokenCancelled)
            {
                return new CancellationToken(canceled: true);
            }

            var created = new CancellationTokenSource();
            source = Interlocked.CompareExchange(ref _closedSource, created, null) ?? created;
            if (Volatile.Read(ref _closedSignalled) == ClosedTokenCancelled)
            {
                // The close came while this was being created and found no source to cancel.
                CancelInBackground(source);
            }

            return source.Token;
        }
    }

    /// <inheritdoc />
    public override CloseReason CloseReason => (CloseReason)Volatile.Read(ref _closeReason);

    /// <inheritdoc />
    public override Task CloseAsync(CancellationToken cancellationToken = default)
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

    /// <inheritdoc />
    public override void Abort(CloseReason reason, string? message)
    {
        message ??= "The connection was aborted by the application.";
        SetCloseReason(reason == CloseReason.None ? CloseReason.LocalAbort : reason);
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

        // Complete the outermost output: every layer flushes and completes the one below; the send loop sends what
        // is pending, then FIN.
        var transport = Transport;
        await transport.Output.CompleteAsync().ConfigureAwait(false);

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
        await transport.Input.CompleteAsync().ConfigureAwait(false);
        if (!ReferenceEquals(transport, _pump))
        {
            // A layer that did not complete the output below it (or has not yet) must not keep the socket open.
            await _pump.Output.CompleteAsync().ConfigureAwait(false);
            await _pump.Input.CompleteAsync().ConfigureAwait(false);
        }

        _pump.CloseSocket();
        await _pump.WaitForLoopsAsync().ConfigureAwait(false);
        CancelClosedToken();
    }

    /// <inheritdoc />
    void ITransportObserver.OnTransportEnded()
    {
        SetTransportCloseReason();
        CancelClosedToken();

        // Once the loops have stopped the byte counts are final: the connection leaves the open set of the metrics.
        _telemetry.Closed(CloseReason is CloseReason.None or CloseReason.LocalClose or CloseReason.RemoteClose ? null : ErrorTypes.Of(CloseReason));
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
        if (Interlocked.CompareExchange(ref _closedSignalled, ClosedTokenClosing, 0) != 0)
        {
            return;
        }

        // The owner learns first (a server frees the connection's slot), so whoever observes ConnectionClosed
        // sees the server's counters already updated.
        _onClosed?.Invoke(this);
        SocketLog.ConnectionClosed(_settings.Logger, Id, CloseReason);

        // Full fence: a source created from now on sees the state, one created before is read below.
        Interlocked.Exchange(ref _closedSignalled, ClosedTokenCancelled);
        if (Volatile.Read(ref _closedSource) is { } source)
        {
            CancelInBackground(source);
        }
    }

    private static void CancelInBackground(CancellationTokenSource source)
    {
        // The token is cancelled at once, but the application's callbacks run on the thread pool: whoever closes
        // (the heartbeat, StopAsync, an Abort caller, an I/O loop) must not wait for them (issue #11).
        var callbacks = source.CancelAsync();
        if (!callbacks.IsCompleted)
        {
            // A callback that throws must not break the transport; its exception is observed here and dropped.
            _ = callbacks.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
