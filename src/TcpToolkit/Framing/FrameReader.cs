using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
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
/// When a whole frame is already buffered the read completes synchronously.
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

    // The buffer of the last pipe read, held (not yet passed to AdvanceTo) while frames are handed out from it.
    private ReadOnlySequence<byte> _buffer;
    private SequencePosition _consumed;
    private bool _hasBuffer;
    private bool _isFinal;

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

    private bool TryDecodeRead<TFrame>(in ReadResult read, IFrameDecoder<TFrame> decoder, out FrameReadResult<TFrame> result)
    {
        _buffer = read.Buffer;
        _consumed = _buffer.Start;
        _hasBuffer = true;
        _isFinal = read.IsCompleted;

        if (read.IsCanceled)
        {
            // Keep holding the buffer: the next read decodes it again before waiting, so no byte is lost.
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

            result = new FrameReadResult<TFrame>(default!, isCompleted: true, isCanceled: false);
            return true;
        }

        // The decoder must set examined to the end of an incomplete frame, so this waits for new bytes.
        _reader.AdvanceTo(consumed, examined);
        result = default;
        return false;
    }

    private void CountFrame(object decoder, SequencePosition end)
    {
        if (!ReferenceEquals(decoder, _countedDecoder))
        {
            _frameCounter = _telemetry!.FrameCounter(FrameCodecs.NameOf(decoder), receive: true);
            _countedDecoder = decoder;
        }

        // The size (from the frame's first byte to the decoder's consumed position) only when the histogram wants it.
        var counter = _frameCounter!;
        counter.Count(counter.WantsSize ? _buffer.GetOffset(end) - _buffer.GetOffset(_consumed) : -1);
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
