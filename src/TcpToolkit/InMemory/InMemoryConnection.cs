using System.IO.Pipelines;
using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Connections.Internal;

namespace TcpToolkit.InMemory;

/// <summary>
/// One end of a connected in-memory pair: two pipes crosswise, with the close and abort semantics of a TCP
/// connection (a completed output is the peer's EOF; an abort is the peer's reset), bounded buffers (a flush waits
/// while 64 KiB are unread) and continuations on the thread pool.
/// </summary>
internal sealed class InMemoryConnection : Connection
{
    private const long PauseThreshold = 64 * 1024;

    // How long CloseAsync waits for a layer to complete the output below it: TcpConnectionOptions.CloseTimeout's
    // default, since an in-memory pair has no options of its own.
    private static readonly TimeSpan LayerCloseTimeout = TimeSpan.FromSeconds(5);

    private static long s_lastId;

    private readonly CancellationTokenSource _closedSource = new();
    private readonly TaskCompletionSource _outputCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _closeLock = new();
    private readonly EndReader _input;
    private readonly EndWriter _output;
    private IDuplexPipe _transport;
    private InMemoryConnection _peer = null!;
    private Task? _closeTask;
    private int _closeReason;
    private int _closedSignalled;
    private volatile string? _abortMessage;
    private volatile bool _resetByPeer;

    private InMemoryConnection(string id, Pipe incoming, Pipe outgoing, EndPoint local, EndPoint remote)
    {
        Id = id;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        _input = new EndReader(this, incoming.Reader);
        _output = new EndWriter(this, outgoing.Writer);
        _transport = new DuplexPipe(_input, _output);
    }

    public override string Id { get; }

    public override IDuplexPipe Transport
    {
        get => Volatile.Read(ref _transport);
        set => Volatile.Write(ref _transport, value ?? throw new ArgumentNullException(nameof(value)));
    }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override CancellationToken ConnectionClosed => _closedSource.Token;

    public override CloseReason CloseReason => (CloseReason)Volatile.Read(ref _closeReason);

    /// <summary>Creates a connected pair.</summary>
    public static (InMemoryConnection Client, InMemoryConnection Server) CreatePair()
    {
        var options = new PipeOptions(
            pauseWriterThreshold: PauseThreshold,
            resumeWriterThreshold: PauseThreshold / 2,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.ThreadPool,
            useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var id = Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var clientEndPoint = new InMemoryEndPoint("client-" + id);
        var serverEndPoint = new InMemoryEndPoint("server-" + id);
        var client = new InMemoryConnection("mem-" + id + "c", toClient, toServer, clientEndPoint, serverEndPoint);
        var server = new InMemoryConnection("mem-" + id + "s", toServer, toClient, serverEndPoint, clientEndPoint);
        client._peer = server;
        server._peer = client;
        return (client, server);
    }

    public override Task CloseAsync(CancellationToken cancellationToken = default)
    {
        lock (_closeLock)
        {
            return _closeTask ??= CloseCoreAsync(cancellationToken);
        }
    }

    public override void Abort(CloseReason reason, string? message)
    {
        message ??= "The connection was aborted by the application.";
        SetCloseReason(reason == CloseReason.None ? CloseReason.LocalAbort : reason);
        _abortMessage ??= message;

        // Our pending reads and flushes fail as aborted, the peer's as reset (a flush waiting for a reader that will
        // never read again must be woken too, or it waits forever).
        _input.Wake();
        _output.Wake();
        _peer.OnPeerReset();
        SignalClosed();
    }

    private async Task CloseCoreAsync(CancellationToken cancellationToken)
    {
        var peerClosedFirst = _input.SawEndOfStream;
        var transport = Transport;
        await transport.Output.CompleteAsync().ConfigureAwait(false);
        if (!ReferenceEquals(transport.Output, _output))
        {
            // A layer completes the output below it when its own is completed, possibly after an await (TLS sends
            // close_notify first): wait for that, bounded as TcpConnection's close is, or its last bytes are lost.
            try
            {
                await _outputCompleted.Task.WaitAsync(LayerCloseTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                Abort(CloseReason.LocalAbort, "A layer did not complete its output before the close deadline.");
            }
        }

        await transport.Input.CompleteAsync().ConfigureAwait(false);
        if (!ReferenceEquals(transport.Output, _output))
        {
            await _output.CompleteAsync().ConfigureAwait(false);
            await _input.CompleteAsync().ConfigureAwait(false);
        }

        SetCloseReason(peerClosedFirst ? CloseReason.RemoteClose : CloseReason.LocalClose);
        SignalClosed();
    }

    private void OnPeerReset()
    {
        _resetByPeer = true;
        SetCloseReason(CloseReason.RemoteReset);
        _input.Wake();
        _output.Wake();
        SignalClosed();
    }

    private bool SetCloseReason(CloseReason reason)
        => Interlocked.CompareExchange(ref _closeReason, (int)reason, (int)CloseReason.None) == (int)CloseReason.None;

    private void SignalClosed()
    {
        if (Interlocked.Exchange(ref _closedSignalled, 1) != 0)
        {
            return;
        }

        // Callbacks registered by the application never run inside Abort or CloseAsync.
        ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), _closedSource, preferLocal: false);
    }

    /// <summary>Throws the exception a read or a flush sees once the connection was aborted or reset.</summary>
    private void ThrowIfBroken()
    {
        if (_abortMessage is { } message)
        {
            throw new ConnectionAbortedException(message);
        }

        if (_resetByPeer)
        {
            throw new ConnectionResetException("The in-memory peer aborted the connection.");
        }
    }

    private sealed class InMemoryEndPoint(string name) : EndPoint
    {
        public override string ToString() => "memory:" + name;
    }


    /// <summary>The pipe's reader, failing reads with the connection's abort or reset.</summary>
    private sealed class EndReader(InMemoryConnection owner, PipeReader inner) : PipeReader
    {
        public bool SawEndOfStream { get; private set; }

        public void Wake() => inner.CancelPendingRead();

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            owner.ThrowIfBroken();
            var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            return Check(result);
        }

        public override bool TryRead(out ReadResult result)
        {
            owner.ThrowIfBroken();
            if (!inner.TryRead(out result))
            {
                return false;
            }

            result = Check(result);
            return true;
        }

        private ReadResult Check(ReadResult result)
        {
            if (result.IsCanceled)
            {
                // A wake-up for an abort or reset; otherwise the application's own cancellation.
                owner.ThrowIfBroken();
            }

            SawEndOfStream |= result.IsCompleted;
            return result;
        }
    }

    /// <summary>The pipe's writer, failing flushes with the connection's abort or reset.</summary>
    private sealed class EndWriter(InMemoryConnection owner, PipeWriter inner) : PipeWriter
    {
        public void Wake() => inner.CancelPendingFlush();

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            inner.Complete(exception);
            owner._outputCompleted.TrySetResult();
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            owner.ThrowIfBroken();
            var result = await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                // The peer stopped reading, or a wake-up for an abort or reset: as over TCP, that is its reset or our
                // abort. Otherwise a cancellation is the application's own.
                owner.ThrowIfBroken();
            }

            return result;
        }
    }
}
