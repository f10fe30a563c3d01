using System.Buffers;

namespace TcpToolkit.Protocol;

/// <summary>Writes into an array of a length measured beforehand, so the result needs no second copy.</summary>
internal sealed class FixedArrayBufferWriter(byte[] buffer) : IBufferWriter<byte>
{
    private int _written;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(_written);

    public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(_written);
}
