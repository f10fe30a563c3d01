using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;

namespace TcpToolkit.Tls.Internal;

/// <summary>
/// The connection's transport once the handshake is done: plaintext pipes over an <see cref="SslStream"/> that runs
/// over the transport below. It follows the seam's rule for layers (see <see cref="Connection"/>):
/// <list type="bullet">
/// <item>Input reads the SslStream on demand (no pump, so the application's pace is the backpressure); the peer's
/// close_notify or FIN is the application's EOF, and a reset or a TLS error below is thrown from its read.</item>
/// <item>Output goes through a pipe to one pump that encrypts and writes; when the application completes it, the pump
/// sends close_notify (<see cref="SslStream.ShutdownAsync"/>) and completes the output below, so the transport sends
/// FIN after it. A failure below completes both sides with the error: the application's next flush throws it.</item>
/// </list>
/// The SslStream is disposed once the pump has stopped and the application's input is completed (the connection's
/// close completes it): not as soon as the connection closes, so that a read after a reset still throws the reset
/// rather than <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class TlsLayer : IDuplexPipe
{
    // TLS records carry at most 16 KiB of plaintext: writes are gathered up to that size, so a multi-segment
    // buffer becomes full records rather than one small record (and one transport flush) per segment.
    private const int MaxRecordPlaintext = 16 * 1024;

    private static readonly PipeOptions OutputOptions = new(
        pauseWriterThreshold: 64 * 1024,
        resumeWriterThreshold: 32 * 1024,
        useSynchronizationContext: false);

    private readonly SslStream _ssl;
    private readonly IDuplexPipe _below;
    private readonly Pipe _output = new(OutputOptions);
    private readonly ILogger _logger;
    private readonly Connection _connection;
    private readonly string _connectionId;
    private readonly CancellationToken _connectionClosed;
    private readonly Task _pump;
    private readonly TaskCompletionSource _inputCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TlsLayer(SslStream ssl, IDuplexPipe below, Connection connection, ILogger logger)
    {
        _ssl = ssl;
        _below = below;
        _logger = logger;
        _connection = connection;
        _connectionId = connection.Id;
        _connectionClosed = connection.ConnectionClosed;

        // Zero-byte reads: an idle connection waits without a read buffer (SslStream returns its own as well).
        Input = new InputReader(PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true, useZeroByteReads: true)), _inputCompleted);
        _pump = SendAsync();
        _ = DisposeWhenDoneAsync();
        _connectionClosed.UnsafeRegister(static state => ((TlsLayer)state!).OnConnectionClosed(), this);
    }

    public PipeReader Input { get; }

    public PipeWriter Output => _output.Writer;

    // An aborted connection: a pump waiting for the application's next bytes must stop too.
    private void OnConnectionClosed() => _output.Reader.CancelPendingRead();

    private async Task DisposeWhenDoneAsync()
    {
        await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _inputCompleted.Task.ConfigureAwait(false);
        await _ssl.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SendAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled && _connectionClosed.IsCancellationRequested)
                {
                    throw ClosedError();
                }

                if (!buffer.IsEmpty)
                {
                    await WriteAsync(buffer).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    // The application is done: close_notify, then the transport's FIN.
                    await SendCloseNotifyAsync().ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // A write cancelled because the connection closed reports why it closed, not a bare cancellation; the
            // transport's own typed error comes up as itself, not inside SslStream's "The write operation failed".
            error = ex switch
            {
                IOException { InnerException: (ConnectionAbortedException or ConnectionResetException) and var typed } => typed,
                OperationCanceledException and not ConnectionAbortedException when _connectionClosed.IsCancellationRequested => ClosedError(),
                _ => ex,
            };
            TlsLog.SendFailed(_logger, _connectionId, error);
        }

        // Errors both ways: the application's next flush throws, and the transport below is completed with it.
        await reader.CompleteAsync(error).ConfigureAwait(false);
        await _below.Output.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendCloseNotifyAsync()
    {
        try
        {
            await _ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not IOException and not OperationCanceledException and not ObjectDisposedException)
        {
            // Not the transport's failure but the TLS engine's: OpenSSL refuses SSL_shutdown "while in init" when a
            // concurrent read is processing a post-handshake message (a TLS 1.3 session ticket). Every byte of the
            // application is sent already; only the close_notify is missing, so the FIN still ends the stream cleanly.
            TlsLog.CloseNotifyFailed(_logger, _connectionId, ex.Message);
        }
    }

    /// <summary>What the application's writer reports once the connection has closed under the layer: the peer's reset, or an abort.</summary>
    private Exception ClosedError() => _connection.CloseReason == CloseReason.RemoteReset
        ? new ConnectionResetException("The peer reset the connection before the TLS layer sent its output.")
        : new ConnectionAbortedException("The connection closed before the TLS layer sent its output.");

    private async ValueTask WriteAsync(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            await _ssl.WriteAsync(buffer.First, _connectionClosed).ConfigureAwait(false);
            return;
        }

        var chunk = ArrayPool<byte>.Shared.Rent(MaxRecordPlaintext);
        try
        {
            var size = Math.Min(chunk.Length, MaxRecordPlaintext);
            var filled = 0;
            foreach (var segment in buffer)
            {
                var rest = segment;
                while (!rest.IsEmpty)
                {
                    var count = Math.Min(rest.Length, size - filled);
                    rest.Span[..count].CopyTo(chunk.AsSpan(filled));
                    filled += count;
                    rest = rest[count..];
                    if (filled == size)
                    {
                        await _ssl.WriteAsync(chunk.AsMemory(0, filled), _connectionClosed).ConfigureAwait(false);
                        filled = 0;
                    }
                }
            }

            if (filled > 0)
            {
                await _ssl.WriteAsync(chunk.AsMemory(0, filled), _connectionClosed).ConfigureAwait(false);
            }
        }
        finally
        {
            // Returned after every batch: an idle connection holds no send buffer.
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>The application's reader: the SslStream's, reporting when the application (or the connection's close) completes it.</summary>
    private sealed class InputReader(PipeReader inner, TaskCompletionSource completed) : PipeReader
    {
        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null)
        {
            inner.Complete(exception);
            completed.TrySetResult();
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            await inner.CompleteAsync(exception).ConfigureAwait(false);
            completed.TrySetResult();
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => inner.ReadAsync(cancellationToken);

        public override bool TryRead(out ReadResult result) => inner.TryRead(out result);

        protected override ValueTask<ReadResult> ReadAtLeastAsyncCore(int minimumSize, CancellationToken cancellationToken)
            => inner.ReadAtLeastAsync(minimumSize, cancellationToken);
    }
}
