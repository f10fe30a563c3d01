using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using TcpToolkit.Connections;
using TcpToolkit.Connections.Internal;
using TcpToolkit.Diagnostics.Internal;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Writes frames to a <see cref="PipeWriter"/> with any encoder. <see cref="Write{TFrame}"/> only buffers, so many
/// frames can go out with one <see cref="FlushAsync"/>; <see cref="WriteAsync{TFrame}"/> writes and flushes. The
/// encoder can change between calls (for example a handshake line, then length-prefixed frames). An echo or a relay
/// writes runs of frames read with <see cref="FrameReader.ReadRunAsync{TFrame}"/> back unchanged with
/// <see cref="WriteRun(in FrameRunResult)"/>.
/// </summary>
/// <remarks>
/// Not thread-safe: one writer per connection, one write at a time. The writer does not own the pipe. Created over a
/// <see cref="Connection"/>, it records the connection's frame metrics (<c>tcptoolkit.*.frames</c> and
/// <c>frame.size</c>, transmit); over a bare <see cref="PipeWriter"/> it records none.
/// </remarks>
public sealed class FrameWriter
{
    private readonly PipeWriter _writer;

    // The transport's own output, which sends a multi-segment run in one gathered call; null over any other writer.
    private readonly IGatheringWriter? _gathering;
    private readonly ConnectionTelemetry? _telemetry;
    private readonly bool _canMeasure;

    // The counter of the encoder last used: found again only when the encoder changes.
    private object? _countedEncoder;
    private FrameCounter? _frameCounter;

    /// <summary>Creates a frame writer over <paramref name="writer"/>.</summary>
    /// <param name="writer">The pipe to write to, for example a connection's <c>Transport.Output</c>.</param>
    public FrameWriter(PipeWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _gathering = writer as IGatheringWriter;
    }

    /// <summary>
    /// Creates a frame writer over <paramref name="connection"/>'s output (<c>Transport.Output</c> now: create it
    /// after the middleware has set up its layers) that records the connection's frame metrics.
    /// </summary>
    /// <param name="connection">The connection to write frames to.</param>
    public FrameWriter(Connection connection)
        : this(OutputOf(connection))
    {
        _telemetry = connection.Telemetry;

        // A frame's size is what the encoder added to the pipe's unflushed bytes (every pipe of the transport and of
        // the TLS layer tells; a writer that cannot still has its frames counted).
        _canMeasure = _writer.CanGetUnflushedBytes;
    }

    /// <summary>Encodes <paramref name="frame"/> into the pipe's buffer without flushing.</summary>
    /// <typeparam name="TFrame">The type of frame the encoder consumes.</typeparam>
    /// <param name="encoder">The encoder to use.</param>
    /// <param name="frame">The frame to write.</param>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public void Write<TFrame>(IFrameEncoder<TFrame> encoder, TFrame frame)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (_telemetry is null)
        {
            encoder.Encode(frame, _writer);
            return;
        }

        var counter = TransmitCounter(encoder);

        // The size (what the encoder added to the unflushed bytes) only when the histogram wants it.
        var measure = _canMeasure && counter.WantsSize;
        var before = measure ? _writer.UnflushedBytes : 0;
        encoder.Encode(frame, _writer);
        counter.Count(measure ? _writer.UnflushedBytes - before : -1);
    }

    /// <summary>Encodes <paramref name="frame"/> and flushes. Completes synchronously unless the pipe applies backpressure.</summary>
    /// <typeparam name="TFrame">The type of frame the encoder consumes.</typeparam>
    /// <param name="encoder">The encoder to use.</param>
    /// <param name="frame">The frame to write.</param>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>The pipe's flush result; <see cref="FlushResult.IsCompleted"/> means the reading side is gone.</returns>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public ValueTask<FlushResult> WriteAsync<TFrame>(IFrameEncoder<TFrame> encoder, TFrame frame, CancellationToken cancellationToken = default)
    {
        Write(encoder, frame);
        return _writer.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Encodes a byte payload without flushing. This overload lets a <c>Memory&lt;byte&gt;</c> or <c>byte[]</c>
    /// payload pick the encoder's <see cref="ReadOnlyMemory{T}"/> side without a cast.
    /// </summary>
    /// <param name="encoder">The encoder to use.</param>
    /// <param name="payload">The payload of the frame.</param>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public void Write(IFrameEncoder<ReadOnlyMemory<byte>> encoder, ReadOnlyMemory<byte> payload) => Write<ReadOnlyMemory<byte>>(encoder, payload);

    /// <summary>Encodes a byte payload and flushes (see <see cref="Write(IFrameEncoder{ReadOnlyMemory{byte}}, ReadOnlyMemory{byte})"/>).</summary>
    /// <param name="encoder">The encoder to use.</param>
    /// <param name="payload">The payload of the frame.</param>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>The pipe's flush result; <see cref="FlushResult.IsCompleted"/> means the reading side is gone.</returns>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public ValueTask<FlushResult> WriteAsync(IFrameEncoder<ReadOnlyMemory<byte>> encoder, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        => WriteAsync<ReadOnlyMemory<byte>>(encoder, payload, cancellationToken);

    /// <summary>
    /// Writes a run of frames read with <see cref="FrameReader.ReadRunAsync{TFrame}"/> as it came (its wire bytes, one
    /// copy per buffer segment, nothing re-encoded) without flushing. For an echo or a relay whose output speaks the
    /// input's codec: with every built-in codec, the bytes are exactly what the decoder's encoder (of the same options)
    /// would write for the run's frames.
    /// </summary>
    /// <param name="run">The run to write; write it before the next read releases its bytes.</param>
    /// <remarks>
    /// Every frame of the run is counted in the connection's <c>frames</c> metric, under the codec that read it (a
    /// decoder and its encoder share a codec name). The writer does not see where one frame of a run ends and the next
    /// begins, so <c>frame.size</c> records each at the run's mean size (exact when its frames are the same size; the
    /// reading side records each frame's own size).
    /// </remarks>
    public void WriteRun(in FrameRunResult run)
    {
        var bytes = run.WireBytes;
        if (bytes.IsSingleSegment)
        {
            _writer.Write(bytes.FirstSpan);
        }
        else
        {
            foreach (var segment in bytes)
            {
                _writer.Write(segment.Span);
            }
        }

        CountRun(run);
    }

    /// <summary>
    /// Writes a run of whole frames as <see cref="WriteRun(in FrameRunResult)"/> does, and flushes. Over a TcpToolkit
    /// connection's own output on its Linux epoll engine (no layer such as TLS in between), when nothing is unflushed,
    /// the bytes go to the socket straight from the input's memory: no copy into the output, and no wait when the
    /// socket takes them all; only what it does not take at once is buffered. Anywhere else it writes and flushes as a
    /// pipe does. The fastest way to echo or relay runs.
    /// </summary>
    /// <param name="run">The run to write; await the returned task before the next read releases its bytes.</param>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>The flush result; <see cref="FlushResult.IsCompleted"/> means the reading side is gone.</returns>
    public ValueTask<FlushResult> WriteRunAsync(in FrameRunResult run, CancellationToken cancellationToken = default)
    {
        CountRun(run);
        var bytes = run.WireBytes;
        return bytes.IsSingleSegment ? _writer.WriteAsync(bytes.First, cancellationToken)
            : _gathering is not null ? _gathering.WriteAsync(bytes, cancellationToken)
            : WriteSegmentsAsync(bytes, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> WriteSegmentsAsync(ReadOnlySequence<byte> bytes, CancellationToken cancellationToken)
    {
        var result = default(FlushResult);
        foreach (var segment in bytes)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            result = await _writer.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled || result.IsCompleted)
            {
                break;
            }
        }

        return result;
    }

    private void CountRun(in FrameRunResult run)
    {
        if (_telemetry is not null && run.FrameCount > 0)
        {
            var counter = TransmitCounter(run.Codec!, run.Codec);
            counter.CountMany(run.FrameCount, counter.WantsSize ? run.WireBytes.Length / run.FrameCount : -1);
        }
    }

    // Only with telemetry. The counter is found again only when the encoder (or a run's codec name) changes.
    private FrameCounter TransmitCounter(object encoder, string? codec = null)
    {
        if (!ReferenceEquals(encoder, _countedEncoder))
        {
            _frameCounter = _telemetry!.FrameCounter(codec ?? FrameCodecs.NameOf(encoder), receive: false);
            _countedEncoder = encoder;
        }

        return _frameCounter!;
    }

    private static PipeWriter OutputOf(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.Output;
    }

    /// <summary>Flushes the frames written so far.</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>The pipe's flush result; <see cref="FlushResult.IsCompleted"/> means the reading side is gone.</returns>
    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);
}
