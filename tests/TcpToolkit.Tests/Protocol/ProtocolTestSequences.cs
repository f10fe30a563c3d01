using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Tests.Infrastructure;

namespace TcpToolkit.Tests.Protocol;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/> inputs and drives a decoder the way a pipe reader does,
/// so chunking can be shown not to change what is decoded.
/// </summary>
internal static class ProtocolTestSequences
{
    /// <summary>Makes one sequence whose segments are exactly <paramref name="segments"/> (empty ones included).</summary>
    public static ReadOnlySequence<byte> Create(params byte[][] segments) => TestSequence.FromChunks(segments);

    /// <summary>Cuts <paramref name="data"/> at the given ascending offsets.</summary>
    public static byte[][] SplitAt(byte[] data, params int[] offsets) => TestSequence.Split(data, offsets);

    /// <summary>One chunk per byte.</summary>
    public static byte[][] ByteByByte(byte[] data) => TestSequence.Bytewise(data);

    /// <summary>
    /// Feeds <paramref name="arrivals"/> to <paramref name="decoder"/> one at a time, as successive reads would:
    /// the input is everything not yet consumed, one segment per arrival. Checks the seam's contract on every call
    /// (examined is the end when more bytes are needed; consumed only moves on success).
    /// </summary>
    /// <returns>The frames decoded and the number of bytes left unconsumed at the end.</returns>
    public static (List<T> Frames, long Unconsumed) DecodeArrivals<T>(IFrameDecoder<T> decoder, IEnumerable<byte[]> arrivals)
    {
        var frames = new List<T>();
        var pending = new List<byte[]>();
        foreach (byte[] arrival in arrivals)
        {
            pending.Add(arrival);
            while (true)
            {
                ReadOnlySequence<byte> input = Create([.. pending]);
                SequencePosition consumed = input.Start;
                SequencePosition examined = input.Start;
                if (!decoder.TryDecode(input, ref consumed, ref examined, out T frame))
                {
                    examined.Should().Be(input.End, "an incomplete frame must mark everything examined");
                    consumed.Should().Be(input.Start, "nothing is consumed without a frame");
                    break;
                }

                frames.Add(frame);
                long used = input.Slice(input.Start, consumed).Length;
                used.Should().BePositive();
                examined.Should().Be(consumed);
                pending = [input.Slice(consumed).ToArray()];
            }
        }

        return (frames, pending.Sum(p => (long)p.Length));
    }

    /// <summary>Decodes one frame from a single call over <paramref name="input"/>, or throws.</summary>
    public static T DecodeSingle<T>(IFrameDecoder<T> decoder, ReadOnlySequence<byte> input, out long consumedBytes)
    {
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;
        decoder.TryDecode(input, ref consumed, ref examined, out T frame).Should().BeTrue("the input holds a whole frame");
        consumedBytes = input.Slice(input.Start, consumed).Length;
        return frame;
    }
}
