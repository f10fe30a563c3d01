using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections;
using TcpToolkit.Diagnostics.Internal;
using TcpToolkit.Framing.Internal;

namespace TcpToolkit.Framing;

/// <summary>
/// Reads frames from a <see cref="PipeReader"/> with any decoder. The decoder is passed to each read, so a
/// connection can switch codecs mid-stream (for example a line-based handshake, then length-prefixed frames)
/// without losing bytes that are already buffered.
/// </summary>
/// <remarks>
/// <para>
/// Frames are slices of the pipe's buffer (zero copy). A frame stays valid until the next
/// <see cref="ReadAsync{TFrame}"/> or <see cref="Advance"/>; copy it with <see cref="PooledFrame.CopyOf"/> to keep it.
/// When a whole frame is already buffered the read completes synchronously. Code that passes frames on unchanged
/// (an echo, a relay) can take every whole frame buffered at once, as wire bytes, with <see cref="ReadRunAsync{TFrame}"/>.
/// </para>
/// <para>
/// End of stream at a frame boundary gives a result with <see cref="FrameReadResult{TFrame}.IsCompleted"/> set;
/// end of stream inside a frame throws <see cref="TruncatedFrameException"/>. After a <see cref="FramingException"/>
/// the connection's byte stream is out of step and no further frames should be read. Not thread-safe: one reader
/// per connection, one read at a time. The reader does not own (complete) the pipe.
/// </para>
/// <para>
/// Created over a <see cref="Connection"/>, it records the connection's frame metrics (<c>tcptoolkit.*.frames</c>,
/// <c>frame.size</c>, <c>frame.decode_errors</c>; see the README's Observability section): a count in a field per
/// frame, nothing allocated. Over a bare <see cref="PipeReader"/> it records none.
/// </para>
/// </remarks>
public sealed class FrameReader
{
    private readonly PipeReader _reader;
    private readonly ILogger _logger;
    private readonly ConnectionTelemetry? _telemetry;

    // The counter of the decoder last used (frames of one codec): found again only when the decoder changes.
    private object? _countedDecoder;
    private FrameCounter? _frameCounter;

    // What the reader knows of the decoder last used for runs (found again only when the decoder changes): its codec
    // name, handed to FrameWriter.WriteRun with each run, the length-field fast path, and whether it may drop bytes.
    private object? _runDecoder;
    private string? _runCodec;
    private LengthFieldFrameDecoder? _runLengthField;
    private IFrameDiscardSource? _runDiscardSource;
    private bool _runOneFrame;

    // The buffer of the last pipe read, held (not yet passed to AdvanceTo) while frames are handed out from it.
    private ReadOnlySequence<byte> _buffer;
    private SequencePosition _consumed;
    private bool _hasBuffer;
    private bool _isFinal;

    // A framing error found behind the frames of a run: the run is handed out first, the error on the next read.
    private FramingException? _pendingError;

    /// <summary>Creates a frame reader over <paramref name="reader"/>.</summary>
    /// <param name="reader">The pipe to read from, for example a connection's <c>Transport.Input</c>.</param>
    /// <param name="logger">Receives framing events (IDs 200-299): discards, oversize, invalid and truncated frames. Defaults to no logging.</param>
    public FrameReader(PipeReader reader, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Creates a frame reader over <paramref name="connection"/>'s input (<c>Transport.Input</c> now: create it after
    /// the middleware has set up its layers) that records the connection's frame metrics.
    /// </summary>
    /// <param name="connection">The connection to read frames from.</param>
    /// <param name="logger">Receives framing events (IDs 200-299). Defaults to no logging.</param>
    public FrameReader(Connection connection, ILogger? logger = null)
        : this(InputOf(connection), logger)
    {
        _telemetry = connection.Telemetry;
    }

    /// <summary>
    /// Reads the next frame with <paramref name="decoder"/>. Frames returned by earlier reads become invalid.
    /// </summary>
    /// <typeparam name="TFrame">The type of frame the decoder produces.</typeparam>
    /// <param name="decoder">The decoder for this frame; use one decoder instance per connection.</param>
    /// <param name="cancellationToken">Cancels the wait for more bytes.</param>
    /// <returns>A frame, or a completed or canceled result.</returns>
    /// <exception cref="FrameTooLargeException">The next frame is longer than the decoder allows.</exception>
    /// <exception cref="InvalidFrameException">The next bytes cannot be a frame.</exception>
    /// <exception cref="TruncatedFrameException">The stream ended inside a frame.</exception>
    public ValueTask<FrameReadResult<TFrame>> ReadAsync<TFrame>(IFrameDecoder<TFrame> decoder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decoder);

        try
        {
            if (_pendingError is not null)
            {
                ThrowPendingError();
            }

            // Fast path: the rest of the last read may already hold the next frame.
            if (_hasBuffer && TryDecodeBuffered(decoder, out var buffered))
            {
                return new ValueTask<FrameReadResult<TFrame>>(buffered);
            }

            while (true)
            {
                var pending = _reader.ReadAsync(cancellationToken);
                if (!pending.IsCompletedSuccessfully)
                {
                    return ReadSlowAsync(pending, decoder, cancellationToken);
                }

                if (TryDecodeRead(pending.Result, decoder, out var result))
                {
                    return new ValueTask<FrameReadResult<TFrame>>(result);
                }
            }
        }
        catch (FramingException ex)
        {
            // Bad bytes are a result of the read, not a misuse of the call: report them through the task on both paths.
            return ValueTask.FromException<FrameReadResult<TFrame>>(ex);
        }
    }

    /// <summary>
    /// Reads every whole frame already buffered (at least one, waiting for it if need be) as one run of wire bytes,
    /// for code that passes frames on unchanged: an echo, a relay, a forwarder. Each frame is checked by
    /// <paramref name="decoder"/> exactly as <see cref="ReadAsync{TFrame}"/> would check it (the same exceptions, log
    /// events and metrics), but nothing is handed out per frame. The run and frames returned by earlier reads become
    /// invalid.
    /// </summary>
    /// <typeparam name="TFrame">The type of frame the decoder produces (not used: a run is bytes).</typeparam>
    /// <param name="decoder">The decoder that finds and checks the frames; use one decoder instance per connection.</param>
    /// <param name="cancellationToken">Cancels the wait for more bytes.</param>
    /// <returns>A run of one or more frames, or a completed or canceled result.</returns>
    /// <remarks>
    /// <para>
    /// A run ends where the buffered bytes stop holding whole frames; the incomplete frame after it is read by the next
    /// call. The run's bytes stay valid until the next read or <see cref="Advance"/>. With a
    /// <see cref="LengthFieldFrameDecoder"/> the headers are read straight off the buffer. Frames are counted in the
    /// connection's metrics one by one (<c>frames</c>, and <c>frame.size</c> with each frame's own size).
    /// </para>
    /// <para>
    /// Nothing that was checked is lost to an error behind it: when bytes after some whole frames are bad (a length
    /// above the maximum, an invalid frame), the call returns those frames, and the next call throws the exception.
    /// End of stream inside a frame works the same way: the whole frames first, then <see cref="TruncatedFrameException"/>.
    /// </para>
    /// <para>
    /// A decoder that drops bad frames (<see cref="FrameRecoveryPolicy.Discard"/>) gives runs of one frame, so the dropped
    /// bytes never sit inside a run; with the built-in decoders they are not in the run either. A decoder of your own
    /// that implements <see cref="IFrameDiscardSource"/> and drops bytes in the same call that returns a frame has them
    /// at the start of that frame's run, since the reader cannot tell where its frame begins.
    /// </para>
    /// </remarks>
    /// <exception cref="FrameTooLargeException">The next frame is longer than the decoder allows.</exception>
    /// <exception cref="InvalidFrameException">The next bytes cannot be a frame.</exception>
    /// <exception cref="TruncatedFrameException">The stream ended inside a frame.</exception>
    public ValueTask<FrameRunResult> ReadRunAsync<TFrame>(IFrameDecoder<TFrame> decoder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decoder);

        try
        {
            if (_pendingError is not null)
            {
                ThrowPendingError();
            }

            if (_hasBuffer && TryReadRunBuffered(decoder, out var buffered))
            {
                return new ValueTask<FrameRunResult>(buffered);
            }

            while (true)
            {
                var pending = _reader.ReadAsync(cancellationToken);
                if (!pending.IsCompletedSuccessfully)
                {
                    return ReadRunSlowAsync(pending, decoder, cancellationToken);
                }

                if (TryReadRunRead(pending.Result, decoder, out var result))
                {
                    return new ValueTask<FrameRunResult>(result);
                }
            }
        }
        catch (FramingException ex)
        {
            return ValueTask.FromException<FrameRunResult>(ex);
        }
    }

    /// <summary>
    /// Gives the bytes of the frames read so far back to the pipe, so it can reuse the memory before the next read.
    /// Frames already returned become invalid. Optional: the next <see cref="ReadAsync{TFrame}"/> does it anyway.
    /// </summary>
    public void Advance()
    {
        if (_hasBuffer)
        {
            // examined = consumed: bytes after the last frame were not looked at yet, so the next read returns them at once.
            _hasBuffer = false;
            _reader.AdvanceTo(_consumed, _consumed);
        }
    }

    private static PipeReader InputOf(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.Input;
    }

    // Pooled builder: a read that really waits reuses its state machine box instead of allocating one per frame.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FrameReadResult<TFrame>> ReadSlowAsync<TFrame>(
        ValueTask<ReadResult> pending, IFrameDecoder<TFrame> decoder, CancellationToken cancellationToken)
    {
        var read = await pending.ConfigureAwait(false);
        while (true)
        {
            if (TryDecodeRead(read, decoder, out var result))
            {
                return result;
            }

            read = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FrameRunResult> ReadRunSlowAsync<TFrame>(
        ValueTask<ReadResult> pending, IFrameDecoder<TFrame> decoder, CancellationToken cancellationToken)
    {
        var read = await pending.ConfigureAwait(false);
        while (true)
        {
            if (TryReadRunRead(read, decoder, out var result))
            {
                return result;
            }

            read = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool TryReadRunRead<TFrame>(in ReadResult read, IFrameDecoder<TFrame> decoder, out FrameRunResult result)
    {
        if (HoldRead(read))
        {
            result = new FrameRunResult(default, 0, isCompleted: false, isCanceled: true);
            return true;
        }

        return TryReadRunBuffered(decoder, out result);
    }

    // True: result holds a run or the clean end. False: the buffer was advanced and the pipe must be read again.
    private bool TryReadRunBuffered<TFrame>(IFrameDecoder<TFrame> decoder, out FrameRunResult result)
    {
        var runStart = _consumed;
        var position = _consumed;
        var frames = 0;
        var counter = _telemetry is null ? null : ReceiveCounter(decoder);
        var countSizes = counter is { WantsSize: true };
        if (!ReferenceEquals(decoder, _runDecoder))
        {
            LearnRunDecoder(decoder);
        }

        var lengthField = _runLengthField;
        var discardSource = _runDiscardSource;
        var oneFrame = _runOneFrame;
        while (true)
        {
            if (lengthField is not null)
            {
                // Fast path: the whole frames in this segment, each header read straight off its span.
                var rest = _buffer.Slice(position);
                var span = rest.FirstSpan;
                var offset = 0;
                while (true)
                {
                    var length = lengthField.WireLengthOf(span[offset..]);
                    if (length <= 0 || length > span.Length - offset)
                    {
                        break;
                    }

                    if (countSizes)
                    {
                        counter!.Count(length);
                    }

                    offset += (int)length;
                    frames++;
                }

                if (offset > 0)
                {
                    position = rest.GetPosition(offset);
                }
            }

            // One frame through the decoder: any codec, a frame across segments, an incomplete or a bad frame.
            var remaining = _buffer.Slice(position);
            if (frames > 0 && remaining.IsEmpty)
            {
                break;
            }

            var consumed = remaining.Start;
            var examined = remaining.Start;
            var discardsBefore = discardSource?.DiscardedFrameCount ?? 0;
            bool decoded;
            try
            {
                decoded = decoder.TryDecode(remaining, ref consumed, ref examined, out _);
            }
            catch (FramingException ex)
            {
                LogFramingError(ex);
                _telemetry?.DecodeError(FrameCodecs.ErrorTypeOf(ex), FrameCodecs.NameOf(decoder));
                if (frames > 0)
                {
                    // Hand out the frames checked so far; the next read throws.
                    _pendingError = ex;
                    break;
                }

                ReleaseBuffer();
                throw;
            }

            var discarded = discardSource is not null && discardSource.DiscardedFrameCount != discardsBefore;
            if (discarded)
            {
                FramingLog.FrameDiscarded(_logger, discardSource!.LastDiscardReason, discardSource.LastDiscardedByteCount);
                _telemetry?.DecodeError(ErrorTypes.Of(discardSource.LastDiscardReason), FrameCodecs.NameOf(decoder), discardSource.DiscardedFrameCount - discardsBefore);
            }

            if (!decoded)
            {
                if (frames > 0)
                {
                    // The incomplete frame after the run is the next call's (the decoder sees its bytes again, as it expects).
                    break;
                }

                var end = AtCleanEnd(decoder, consumed, examined);
                result = end ? new FrameRunResult(default, 0, isCompleted: true, isCanceled: false) : default;
                return end;
            }

            // Only a run's first frame can follow dropped bytes (see oneFrame): the run then starts at the frame.
            var frameStart = discarded ? FrameStartAfterDiscard(decoder, position) : position;
            runStart = frames == 0 ? frameStart : runStart;
            if (countSizes)
            {
                counter!.Count(_buffer.GetOffset(consumed) - _buffer.GetOffset(frameStart));
            }

            frames++;
            position = consumed;
            if (oneFrame)
            {
                break;
            }
        }

        if (counter is not null && !countSizes)
        {
            counter.CountMany(frames, -1);
        }

        _consumed = position;
        result = new FrameRunResult(_buffer.Slice(runStart, position), frames, isCompleted: false, isCanceled: false, _runCodec);
        return true;
    }

    /// <summary>
    /// No whole frame in the held buffer (for both read kinds): <see langword="true"/> at the clean end of the stream,
    /// <see langword="false"/> when the pipe must be read again (the buffer is given back up to the incomplete frame).
    /// </summary>
    /// <exception cref="TruncatedFrameException">The stream ended inside a frame.</exception>
    private bool AtCleanEnd(object decoder, SequencePosition consumed, SequencePosition examined)
    {
        _hasBuffer = false;
        if (_isFinal)
        {
            var leftover = _buffer.Slice(consumed).Length;
            _reader.AdvanceTo(consumed, _buffer.End);
            if (leftover > 0)
            {
                FramingLog.TruncatedFrame(_logger, leftover);
                var truncated = new TruncatedFrameException(leftover);
                _telemetry?.DecodeError(FrameCodecs.ErrorTypeOf(truncated), FrameCodecs.NameOf(decoder));
                throw truncated;
            }

            return true;
        }

        // The decoder must set examined to the end of an incomplete frame, so this waits for new bytes.
        _reader.AdvanceTo(consumed, examined);
        return false;
    }

    /// <summary>Holds the buffer of a pipe read for the frames to come from it; <see langword="true"/> when the read was canceled.</summary>
    private bool HoldRead(in ReadResult read)
    {
        _buffer = read.Buffer;
        _consumed = _buffer.Start;
        _hasBuffer = true;
        _isFinal = read.IsCompleted;

        // A canceled read keeps its buffer held: the next read decodes it again before waiting, so no byte is lost.
        return read.IsCanceled;
    }

    private void LearnRunDecoder(object decoder)
    {
        _runCodec = FrameCodecs.NameOf(decoder);
        _runLengthField = decoder as LengthFieldFrameDecoder;
        _runDiscardSource = decoder as IFrameDiscardSource;

        // A decoder that may drop bytes on its way to a frame gives runs of one frame, so dropped bytes are never inside one.
        _runOneFrame = _runDiscardSource is not null && MayDiscard(_runDiscardSource);
        _runDecoder = decoder;
    }

    private static bool MayDiscard(IFrameDiscardSource decoder) => decoder switch
    {
        DelimiterFrameDecoder delimiter => delimiter.DiscardsBadFrames,
        MarkerFrameDecoder marker => marker.DiscardsBadFrames,
        _ => true,
    };

    // Where a frame decoded after dropped bytes begins: the built-in decoders tell; any other decoder's frame is
    // taken to begin where the call's input did (its dropped bytes included, as ReadRunAsync documents).
    private static SequencePosition FrameStartAfterDiscard(object decoder, SequencePosition inputStart) => decoder switch
    {
        DelimiterFrameDecoder delimiter => delimiter.LastFrameStart,
        MarkerFrameDecoder marker => marker.LastFrameStart,
        _ => inputStart,
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowPendingError()
    {
        var error = _pendingError!;
        _pendingError = null;
        if (_hasBuffer)
        {
            ReleaseBuffer();
        }

        ExceptionDispatchInfo.Throw(error);
    }

    private bool TryDecodeRead<TFrame>(in ReadResult read, IFrameDecoder<TFrame> decoder, out FrameReadResult<TFrame> result)
    {
        if (HoldRead(read))
        {
            result = new FrameReadResult<TFrame>(default!, isCompleted: false, isCanceled: true);
            return true;
        }

        return TryDecodeBuffered(decoder, out result);
    }

    // True: result holds a frame or the clean end. False: the buffer was advanced and the pipe must be read again.
    private bool TryDecodeBuffered<TFrame>(IFrameDecoder<TFrame> decoder, out FrameReadResult<TFrame> result)
    {
        var remaining = _buffer.Slice(_consumed);
        var consumed = remaining.Start;
        var examined = remaining.Start;
        var discardSource = decoder as IFrameDiscardSource;
        var discardsBefore = discardSource?.DiscardedFrameCount ?? 0;
        bool decoded;
        TFrame frame;
        try
        {
            decoded = decoder.TryDecode(remaining, ref consumed, ref examined, out frame);
        }
        catch (FramingException ex)
        {
            LogFramingError(ex);
            _telemetry?.DecodeError(FrameCodecs.ErrorTypeOf(ex), FrameCodecs.NameOf(decoder));
            ReleaseBuffer();
            throw;
        }

        if (discardSource is not null && discardSource.DiscardedFrameCount != discardsBefore)
        {
            FramingLog.FrameDiscarded(_logger, discardSource.LastDiscardReason, discardSource.LastDiscardedByteCount);
            _telemetry?.DecodeError(ErrorTypes.Of(discardSource.LastDiscardReason), FrameCodecs.NameOf(decoder), discardSource.DiscardedFrameCount - discardsBefore);
        }

        if (decoded)
        {
            if (_telemetry is not null)
            {
                CountFrame(decoder, consumed);
            }

            _consumed = consumed;
            result = new FrameReadResult<TFrame>(frame, isCompleted: false, isCanceled: false);
            return true;
        }

        if (AtCleanEnd(decoder, consumed, examined))
        {
            result = new FrameReadResult<TFrame>(default!, isCompleted: true, isCanceled: false);
            return true;
        }

        result = default;
        return false;
    }

    private void CountFrame(object decoder, SequencePosition end)
    {
        // The size (from the frame's first byte to the decoder's consumed position) only when the histogram wants it.
        var counter = ReceiveCounter(decoder);
        counter.Count(counter.WantsSize ? _buffer.GetOffset(end) - _buffer.GetOffset(_consumed) : -1);
    }

    // Only with telemetry. The counter is found again only when the decoder changes.
    private FrameCounter ReceiveCounter(object decoder)
    {
        if (!ReferenceEquals(decoder, _countedDecoder))
        {
            _frameCounter = _telemetry!.FrameCounter(FrameCodecs.NameOf(decoder), receive: true);
            _countedDecoder = decoder;
        }

        return _frameCounter!;
    }

    private void ReleaseBuffer()
    {
        // Leave the PipeReader usable (its owner may still complete it) even though the stream is now unreadable.
        _hasBuffer = false;
        _reader.AdvanceTo(_consumed, _buffer.End);
    }

    private void LogFramingError(FramingException exception)
    {
        switch (exception)
        {
            case FrameTooLargeException tooLarge:
                FramingLog.FrameTooLarge(_logger, tooLarge.Length, tooLarge.MaxFrameLength);
                break;
            case TruncatedFrameException truncated:
                FramingLog.TruncatedFrame(_logger, truncated.BufferedBytes);
                break;
            default:
                FramingLog.InvalidFrame(_logger, exception);
                break;
        }
    }
}
