namespace TcpToolkit.Framing;

/// <summary>The outcome of <see cref="FrameReader.ReadAsync{TFrame}(IFrameDecoder{TFrame}, CancellationToken)"/>.</summary>
/// <typeparam name="TFrame">The type of frame the decoder produces.</typeparam>
public readonly struct FrameReadResult<TFrame>
{
    private readonly TFrame _frame;

    internal FrameReadResult(TFrame frame, bool isCompleted, bool isCanceled)
    {
        _frame = frame;
        IsCompleted = isCompleted;
        IsCanceled = isCanceled;
    }

    /// <summary>
    /// Gets the decoded frame. When it is a slice of the pipe's buffer (as with every built-in codec) it stays valid
    /// only until the next read or <see cref="FrameReader.Advance"/>; copy it (<see cref="PooledFrame.CopyOf"/> or
    /// <c>ToArray()</c>) to keep it longer.
    /// </summary>
    /// <exception cref="InvalidOperationException">There is no frame: the result is completed or canceled.</exception>
    public TFrame Frame => HasFrame ? _frame : throw new InvalidOperationException("The read produced no frame; check IsCompleted and IsCanceled first.");

    /// <summary>Gets a value indicating whether a frame was decoded.</summary>
    public bool HasFrame => !IsCompleted && !IsCanceled;

    /// <summary>Gets a value indicating whether the stream ended cleanly at a frame boundary. No more frames will come.</summary>
    public bool IsCompleted { get; }

    /// <summary>Gets a value indicating whether the read was canceled with <see cref="System.IO.Pipelines.PipeReader.CancelPendingRead"/>.</summary>
    public bool IsCanceled { get; }
}
