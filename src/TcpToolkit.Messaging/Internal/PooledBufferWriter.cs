using System.Buffers;

namespace TcpToolkit.Messaging.Internal;

/// <summary>A growable <see cref="IBufferWriter{T}"/> on arrays rented from <see cref="ArrayPool{T}.Shared"/>, reused after <see cref="Reset"/>.</summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    // A reply buffer above this is returned to the pool on reset instead of being kept by an idle context.
    private const int RetainLimit = 64 * 1024;
    private byte[] _buffer = [];
    private int _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Reset()
    {
        _written = 0;
        if (_buffer.Length > RetainLimit)
        {
            ReturnArray();
        }
    }

    /// <summary>Returns the buffer to the pool; the writer stays usable and rents again on the next write.</summary>
    public void ReturnBuffer()
    {
        _written = 0;
        ReturnArray();
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        var size = Math.Max(checked(_written + needed), Math.Max(256, _buffer.Length * 2));
        var larger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ReturnArray();
        _buffer = larger;
    }

    private void ReturnArray()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
    }
}
