using System.Buffers;
using TcpToolkit.Testing;

namespace TcpToolkit.Fuzz;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/> views over one array, as a pipe hands them out.</summary>
internal static class SegmentedSequence
{
    /// <summary>
    /// Makes a sequence over <c>bytes[start..end)</c> whose segments are the chunks between successive
    /// <paramref name="bounds"/>, clipped to the range. A chunk of length zero that lies inside the range stays as an
    /// empty segment: <see cref="ReadOnlySequence{T}"/> allows them, so decoders must cope.
    /// </summary>
    /// <param name="bytes">The backing array; segments are slices of it, nothing is copied.</param>
    /// <param name="bounds">Ascending offsets, the first 0 and the last <c>bytes.Length</c>.</param>
    /// <param name="start">The first byte of the view.</param>
    /// <param name="end">The end of the view (exclusive).</param>
    public static ReadOnlySequence<byte> Create(byte[] bytes, ReadOnlySpan<int> bounds, int start, int end)
    {
        var chunks = new List<ReadOnlyMemory<byte>>(bounds.Length);
        for (int i = 0; i + 1 < bounds.Length; i++)
        {
            int chunkStart = bounds[i];
            int chunkEnd = bounds[i + 1];
            int from = Math.Max(chunkStart, start);
            int to = Math.Min(chunkEnd, end);
            bool inside = chunkStart >= start && chunkEnd <= end;
            if (to > from || (to == from && inside))
            {
                chunks.Add(new ReadOnlyMemory<byte>(bytes, from, to - from));
            }
        }

        return SequenceBuilder.FromChunks(chunks);
    }
}
