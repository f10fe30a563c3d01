using System.Buffers;

namespace TcpToolkit.Framing;

/// <summary>
/// An owned copy of a frame in a buffer rented from <see cref="ArrayPool{T}.Shared"/>. Frames from a
/// <see cref="FrameReader"/> are slices of the pipe's buffer and die at the next read; copy one into a
/// <see cref="PooledFrame"/> to keep it (for example to hand it to another task), and dispose it to return the buffer.
/// </summary>
public sealed class PooledFrame : IMemoryOwner<byte>
{
    private readonly int _length;
    private byte[]? _array;

    private PooledFrame(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>Gets the frame's bytes.</summary>
    /// <exception cref="ObjectDisposedException">The frame was disposed and its buffer returned to the pool.</exception>
    public Memory<byte> Memory
    {
        get
        {
            var array = _array;
            ObjectDisposedException.ThrowIf(array is null, this);
            return array.AsMemory(0, _length);
        }
    }

    /// <summary>Gets the frame's length in bytes.</summary>
    public int Length => _length;

    /// <summary>Copies <paramref name="frame"/> into a buffer rented from the shared array pool.</summary>
    /// <param name="frame">The frame to copy, typically <see cref="FrameReadResult{TFrame}.Frame"/>.</param>
    /// <returns>The owned copy. Dispose it to return the buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The frame is longer than an array can be.</exception>
    public static PooledFrame CopyOf(in ReadOnlySequence<byte> frame)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frame.Length, Array.MaxLength, nameof(frame));
        var length = (int)frame.Length;
        var array = ArrayPool<byte>.Shared.Rent(length);
        frame.CopyTo(array);
        return new PooledFrame(array, length);
    }

    /// <summary>Returns the buffer to the pool. Calling it again does nothing.</summary>
    public void Dispose()
    {
        // Exchange so a double dispose can never return the same array to the pool twice.
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
