using System.Buffers;
using TcpToolkit.Framing;

namespace TcpToolkit.Fuzz;

/// <summary>
/// Feeds one input to a decoder the way a pipe reader does: decode frames until the decoder needs more bytes,
/// advance, wait for the next read. The same input is fed four ways (whole; as one read of several segments; as
/// three reads; as many small reads (1 to 8 bytes; fewer, larger ones for long inputs), each call seeing the older bytes and the newest read as two
/// segments) and must decode the same in each. Only <see cref="FramingException"/> and its subclasses,
/// the documented errors, end a feeding quietly; anything else escapes to the caller, and so does a
/// <see cref="ContractViolationException"/> for a broken contract.
/// </summary>
internal static class DecoderDriver
{
    /// <summary>
    /// Derives two split points in <c>[0, data.Length]</c> from the input's own bytes, so every split of an input is
    /// reachable by mutating it and a crash file replays exactly.
    /// </summary>
    public static (int First, int Second) CutsFrom(ReadOnlySpan<byte> data)
    {
        ulong hash = FrameDigest.Hash(data);
        uint choices = (uint)data.Length + 1;
        int first = (int)((uint)hash % choices);
        int second = (int)((uint)(hash >> 32) % choices);
        return first <= second ? (first, second) : (second, first);
    }

    /// <summary>Runs the three feedings and compares them.</summary>
    /// <param name="createDecoder">Makes a fresh decoder: decoders may keep per-connection state.</param>
    /// <param name="digest">Adds everything observable about one frame to the digest.</param>
    /// <param name="data">The input.</param>
    /// <param name="firstCut">The first split point.</param>
    /// <param name="secondCut">The second split point, not below <paramref name="firstCut"/>.</param>
    /// <returns>What the whole-input feeding decoded.</returns>
    /// <exception cref="ContractViolationException">A decoder broke the contract or depended on chunking.</exception>
    public static DecodeOutcome Run<TFrame>(
        Func<IFrameDecoder<TFrame>> createDecoder,
        Action<TFrame, FrameDigest> digest,
        ReadOnlySpan<byte> data,
        int firstCut,
        int secondCut)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstCut);
        ArgumentOutOfRangeException.ThrowIfLessThan(secondCut, firstCut);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(secondCut, data.Length);
        byte[] bytes = data.ToArray();
        int[] whole = [0, bytes.Length];
        int[] cut = [0, firstCut, secondCut, bytes.Length];

        // Small reads resume a search many times over: the most intricate code in the delimiter and marker decoders.
        // At most about 16 reads, so a long input costs the harness no more than a short one.
        int readSize = Math.Max(1 + ((secondCut - firstCut) % 8), bytes.Length / 16);
        int[] small = new int[(bytes.Length + readSize - 1) / readSize + 1];
        for (int i = 1; i < small.Length; i++)
        {
            small[i] = Math.Min(i * readSize, bytes.Length);
        }

        DecodeOutcome expected = Feed(createDecoder(), digest, bytes, whole, oneRead: true);
        DecodeOutcome segmented = Feed(createDecoder(), digest, bytes, cut, oneRead: true);
        DecodeOutcome reads = Feed(createDecoder(), digest, bytes, cut, oneRead: false);
        DecodeOutcome smallReads = Feed(createDecoder(), digest, bytes, small, oneRead: false, twoSegments: true);
        ThrowIfDifferent(expected, segmented, "one read of segments", firstCut, secondCut);
        ThrowIfDifferent(expected, reads, "successive reads", firstCut, secondCut);
        ThrowIfDifferent(expected, smallReads, $"reads of {readSize} bytes", firstCut, secondCut);
        return expected;
    }

    private static DecodeOutcome Feed<TFrame>(
        IFrameDecoder<TFrame> decoder,
        Action<TFrame, FrameDigest> digest,
        byte[] bytes,
        int[] bounds,
        bool oneRead,
        bool twoSegments = false)
    {
        var frameDigest = new FrameDigest();
        int frames = 0;
        int start = 0;
        int chunks = bounds.Length - 1;

        // Every call either returns a frame after consuming at least one byte or ends the read, so a decoder that
        // keeps the contract is called at most once per byte plus once per read. More means it would loop forever.
        long callBudget = bytes.Length + chunks + 1;
        long calls = 0;
        for (int read = oneRead ? chunks - 1 : 0; read < chunks; read++)
        {
            int end = bounds[read + 1];
            while (true)
            {
                ReadOnlySequence<byte> input = twoSegments
                    ? SegmentedSequence.Create(bytes, [0, bounds[read], bytes.Length], start, end)
                    : SegmentedSequence.Create(bytes, bounds, start, end);
                SequencePosition consumed = input.Start;
                SequencePosition examined = input.Start;
                if (++calls > callBudget)
                {
                    throw new ContractViolationException($"TryDecode was called {calls} times for {bytes.Length} bytes: the reader loops.");
                }

                bool decoded;
                TFrame frame;
                try
                {
                    decoded = decoder.TryDecode(input, ref consumed, ref examined, out frame);
                }
                catch (FramingException ex)
                {
                    // A documented error: a real reader closes the connection here.
                    return new DecodeOutcome(frames, frameDigest.Value, bytes.Length - start, ex.GetType().Name);
                }

                long consumedBytes = Offset(input, consumed, nameof(consumed));
                long examinedBytes = Offset(input, examined, nameof(examined));
                if (decoded)
                {
                    if (consumedBytes == 0)
                    {
                        throw new ContractViolationException("TryDecode returned a frame but consumed nothing: the reader would decode it forever.");
                    }

                    if (examinedBytes < consumedBytes)
                    {
                        throw new ContractViolationException($"TryDecode examined {examinedBytes} bytes but consumed {consumedBytes}.");
                    }

                    frames++;
                    digest(frame, frameDigest);
                    start += (int)consumedBytes;
                    continue;
                }

                if (examinedBytes != input.Length)
                {
                    throw new ContractViolationException(
                        $"TryDecode returned false having examined {examinedBytes} of {input.Length} bytes: the reader would spin instead of waiting.");
                }

                start += (int)consumedBytes;
                break;
            }
        }

        return new DecodeOutcome(frames, frameDigest.Value, bytes.Length - start, null);
    }

    private static long Offset(in ReadOnlySequence<byte> input, SequencePosition position, string name)
    {
        try
        {
            return input.Slice(input.Start, position).Length;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ContractViolationException($"TryDecode set {name} outside the input.", ex);
        }
    }

    private static void ThrowIfDifferent(DecodeOutcome expected, DecodeOutcome actual, string feeding, int firstCut, int secondCut)
    {
        if (actual != expected)
        {
            throw new ContractViolationException(
                $"Chunking changed the result: whole input gave {expected}, {feeding} split at {firstCut} and {secondCut} gave {actual}.");
        }
    }
}

/// <summary>What one feeding of an input decoded.</summary>
/// <param name="Frames">How many frames were decoded.</param>
/// <param name="Digest">The <see cref="FrameDigest"/> of those frames.</param>
/// <param name="Unconsumed">Bytes left unconsumed at the end (or when the error was thrown).</param>
/// <param name="Error">The type name of the <see cref="FramingException"/> that ended it, if one did.</param>
internal readonly record struct DecodeOutcome(int Frames, ulong Digest, long Unconsumed, string? Error);
