using System.Buffers;
using System.Diagnostics;

namespace TcpToolkit.Sessions.Internal;

/// <summary>
/// One encoded message shared by every send queue it was put in: encoded once (it is the encoder's
/// <see cref="IBufferWriter{T}"/>), written to each member's pipe from the same bytes, and given back to its pool when
/// the last queue lets go of it. The reference count is the number of queues holding it, plus one for the broadcaster
/// while it fans out.
/// </summary>
internal sealed class SharedFrame : IBufferWriter<byte>
{
    private readonly SharedFramePool _pool;
    private byte[] _buffer;
    private int _length;
    private int _references;

    public SharedFrame(SharedFramePool pool, int initialCapacity)
    {
        _pool = pool;
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>Gets the encoded bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Gets the encoded bytes, writable (the backplane patches its sequence number in after encoding).</summary>
    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public int Length => _length;

    /// <summary>Gets the capacity of the buffer the frame holds (the pool drops frames that grew too large).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Takes the frame from its pool: empty, one reference (the caller's).</summary>
    public void Reset()
    {
        _length = 0;
        Volatile.Write(ref _references, 1);
    }

    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Lets go of one reference; the last one gives the frame back to its pool.</summary>
    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        Debug.Assert(left >= 0, "A shared frame was released more often than it was referenced.");
        if (left == 0)
        {
            _pool.Return(this);
        }
    }

    /// <summary>Returns the buffer to the array pool (the frame is not pooled any more).</summary>
    public void DropBuffer()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length >= sizeHint)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_length + sizeHint, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
