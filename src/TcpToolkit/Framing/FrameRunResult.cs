using System.Buffers;

namespace TcpToolkit.Framing;

/// <summary>
/// The outcome of <see cref="FrameReader.ReadRunAsync{TFrame}(IFrameDecoder{TFrame}, CancellationToken)"/>: a run of
/// whole frames as they came on the wire, each one checked by the decoder.
/// </summary>
/// <remarks>
/// A run is for code that passes frames on unchanged (an echo, a relay, a forwarder): it can write
/// <see cref="WireBytes"/> back with <see cref="FrameWriter.WriteRun(in FrameRunResult)"/>
/// in one copy per buffer segment instead of decoding and re-encoding each frame.
/// </remarks>
public readonly struct FrameRunResult
{
    internal FrameRunResult(ReadOnlySequence<byte> wireBytes, int frameCount, bool isCompleted, bool isCanceled, string? codec = null)
    {
        WireBytes = wireBytes;
        Codec = codec;
        FrameCount = frameCount;
        IsCompleted = isCompleted;
        IsCanceled = isCanceled;
    }

    /// <summary>
    /// Gets the bytes of the run's frames exactly as they arrived (headers, delimiters and markers included), back to
    /// back. They are a slice of the pipe's buffer and stay valid only until the next read or
    /// <see cref="FrameReader.Advance"/>. Empty when <see cref="HasFrames"/> is <see langword="false"/>.
    /// </summary>
    public ReadOnlySequence<byte> WireBytes { get; }

    /// <summary>Gets how many whole frames <see cref="WireBytes"/> holds (0 when the result is completed or canceled).</summary>
    public int FrameCount { get; }

    /// <summary>Gets a value indicating whether the run holds at least one frame.</summary>
    public bool HasFrames => FrameCount > 0;

    /// <summary>Gets a value indicating whether the stream ended cleanly at a frame boundary. No more frames will come.</summary>
    public bool IsCompleted { get; }

    /// <summary>Gets the codec of the decoder that read the run (the <c>tcptoolkit.frame.codec</c> attribute), for the writer's metrics.</summary>
    internal string? Codec { get; }

    /// <summary>Gets a value indicating whether the read was canceled with <see cref="System.IO.Pipelines.PipeReader.CancelPendingRead"/>.</summary>
    public bool IsCanceled { get; }
}
