using System.Buffers;
using TcpToolkit.Testing;

namespace TcpToolkit.Tests.Infrastructure;

/// <summary>Builds real multi-segment <see cref="ReadOnlySequence{T}"/> values from chunks.</summary>
internal static class TestSequence
{
    public static ReadOnlySequence<byte> FromChunks(IReadOnlyList<byte[]> chunks)
        => SequenceBuilder.FromChunks(chunks.Select(c => (ReadOnlyMemory<byte>)c));

    /// <summary>Cuts <paramref name="data"/> at the given ascending offsets.</summary>
    public static byte[][] Split(byte[] data, params int[] offsets)
    {
        var chunks = new List<byte[]>();
        var start = 0;
        foreach (var offset in offsets)
        {
            chunks.Add(data[start..offset]);
            start = offset;
        }

        chunks.Add(data[start..]);
        return [.. chunks];
    }

    public static byte[][] Bytewise(byte[] data) => [.. data.Select(b => new[] { b })];

    public static IEnumerable<byte[][]> AllChunkings(byte[] data)
    {
        yield return [data];
        yield return Bytewise(data);
        for (var i = 1; i < data.Length; i++)
        {
            yield return Split(data, i);
        }
    }
}
