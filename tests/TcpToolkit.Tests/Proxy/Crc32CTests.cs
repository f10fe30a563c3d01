using TcpToolkit.Proxy.Internal;

namespace TcpToolkit.Tests.Proxy;

/// <summary>The CRC32c on the processor's instruction agrees with the standard check value and a bitwise implementation.</summary>
public sealed class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_IsTheStandardCheckValue()
    {
        // The catalogued check value of CRC-32/ISCSI (CRC32c) over "123456789".
        Crc32C.Compute("123456789"u8).Should().Be(0xE3069283);
    }

    [Fact]
    public void Compute_EveryLengthUpTo64_MatchesTheBitwiseReference()
    {
        var data = Enumerable.Range(0, 64).Select(i => (byte)((i * 37) + 11)).ToArray();

        for (var length = 0; length <= data.Length; length++)
        {
            Crc32C.Compute(data.AsSpan(0, length)).Should().Be(ProxyVectors.ReferenceCrc32C(data.AsSpan(0, length)), "length {0}", length);
        }
    }

    [Fact]
    public void Append_InPieces_SameAsInOne()
    {
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();

        var crc = Crc32C.Append(Crc32C.Seed, data.AsSpan(0, 13));
        crc = Crc32C.Append(crc, data.AsSpan(13, 50));
        crc = Crc32C.Append(crc, data.AsSpan(63));

        Crc32C.Finish(crc).Should().Be(Crc32C.Compute(data));
    }
}
