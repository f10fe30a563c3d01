using System.Buffers;

namespace TcpToolkit.Datagrams.Internal;

/// <summary>
/// The buffers queued datagrams sit in: one private <see cref="ArrayPool{T}"/> per endpoint, with room in each size
/// class for every queue slot, so a rented buffer always goes back and steady state allocates nothing. Buffers are
/// sized to the payload (rounded up to a power of two by the pool), not to the maximum datagram, so a queue of small
/// datagrams stays small. Counts what is out so tests can check that disposal returned everything.
/// </summary>
internal sealed class DatagramBufferPool
{
    private readonly ArrayPool<byte> _pool;
    private long _outstanding;

    public DatagramBufferPool(int maxDatagramSize, int slotCount)
    {
        _pool = ArrayPool<byte>.Create(maxArrayLength: Math.Max(maxDatagramSize, 16), maxArraysPerBucket: slotCount);
    }

    /// <summary>Gets how many buffers are rented and not yet returned.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Rents a buffer of at least <paramref name="length"/> bytes; an empty datagram needs none.</summary>
    public byte[] Rent(int length)
    {
        if (length == 0)
        {
            return [];
        }

        Interlocked.Increment(ref _outstanding);
        return _pool.Rent(length);
    }

    /// <summary>Returns a buffer from <see cref="Rent"/>.</summary>
    public void Return(byte[] buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        Interlocked.Decrement(ref _outstanding);
        _pool.Return(buffer);
    }
}
