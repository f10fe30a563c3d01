namespace TcpToolkit.Sessions.Internal;

/// <summary>
/// Frames and their buffers kept for reuse, so a broadcast in steady state allocates nothing: a frame comes back here
/// when the last send queue has written it. The pool keeps at most <see cref="MaxRetained"/> frames of at most
/// <see cref="MaxRetainedCapacity"/> bytes; bigger or surplus frames give their buffer back to the array pool.
/// </summary>
internal sealed class SharedFramePool
{
    public const int MaxRetained = 1024;
    public const int MaxRetainedCapacity = 64 * 1024;
    private const int InitialCapacity = 256;

    private readonly Lock _lock = new();
    private readonly Stack<SharedFrame> _frames = new();
    private long _live;

    /// <summary>Gets how many frames are out of the pool (encoding, queued or being written): the memory broadcasts hold.</summary>
    public long LiveFrames => Volatile.Read(ref _live);

    public SharedFrame Rent()
    {
        SharedFrame? frame;
        lock (_lock)
        {
            _frames.TryPop(out frame);
        }

        frame ??= new SharedFrame(this, InitialCapacity);
        frame.Reset();
        Interlocked.Increment(ref _live);
        return frame;
    }

    public void Return(SharedFrame frame)
    {
        Interlocked.Decrement(ref _live);
        if (frame.Capacity <= MaxRetainedCapacity)
        {
            lock (_lock)
            {
                if (_frames.Count < MaxRetained)
                {
                    _frames.Push(frame);
                    return;
                }
            }
        }

        frame.DropBuffer();
    }
}
