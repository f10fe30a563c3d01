using System.Buffers;

namespace TcpToolkit.Testing;

/// <summary>
/// Builds a real multi-segment <see cref="ReadOnlySequence{T}"/> from chunks of memory, as a pipe hands them out
/// (empty chunks stay as empty segments). One copy, linked into the unit tests, the fuzz targets and the benchmarks.
/// </summary>
internal static class SequenceBuilder
{
    public static ReadOnlySequence<byte> FromChunks(IEnumerable<ReadOnlyMemory<byte>> chunks)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (var memory in chunks)
        {
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return first is null || last is null
            ? ReadOnlySequence<byte>.Empty
            : new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
