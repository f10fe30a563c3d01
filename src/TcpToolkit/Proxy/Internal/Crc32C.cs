using System.Buffers.Binary;
using System.Numerics;

namespace TcpToolkit.Proxy.Internal;

/// <summary>
/// CRC32c (Castagnoli, RFC 4960 appendix B), the checksum of the PROXY protocol's 0x03 TLV, on
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> (the SSE4.2 or ARM instruction where there is one).
/// </summary>
internal static class Crc32C
{
    /// <summary>The starting value: all ones.</summary>
    public const uint Seed = uint.MaxValue;

    /// <summary>Adds <paramref name="data"/> to a running checksum started with <see cref="Seed"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        // Eight bytes per step: the instruction takes them in memory (little-endian) order.
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    /// <summary>Finishes a running checksum: the final complement.</summary>
    public static uint Finish(uint crc) => ~crc;

    /// <summary>Computes the checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));
}
