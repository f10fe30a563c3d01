using System.Buffers;

namespace TcpToolkit.Framing.Internal;

/// <summary>Searches and comparisons over <see cref="ReadOnlySequence{T}"/> with a fast path for one segment.</summary>
internal static class SequenceSearch
{
    /// <summary>Returns the offset of the first <paramref name="value"/> in <paramref name="input"/>, or -1.</summary>
    public static long IndexOf(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> value)
    {
        if (input.IsSingleSegment)
        {
            return input.FirstSpan.IndexOf(value);
        }

        var reader = new SequenceReader<byte>(input);
        var found = value.Length == 1
            ? reader.TryAdvanceTo(value[0], advancePastDelimiter: false)
            : reader.TryReadTo(out ReadOnlySequence<byte> _, value, advancePastDelimiter: false);
        return found ? reader.Consumed : -1;
    }

    /// <summary>
    /// Finds the earliest of several delimiters. When two start at the same offset the longer one wins, so a CRLF
    /// is never mistaken for a CR.
    /// </summary>
    public static long IndexOfAny(in ReadOnlySequence<byte> input, byte[][] delimiters, out int delimiterLength)
    {
        long best = -1;
        delimiterLength = 0;
        foreach (var delimiter in delimiters)
        {
            // A later delimiter can only win if it starts no later than the best so far, so search just that far.
            var window = best < 0 ? input : input.Slice(0, Math.Min(input.Length, best + delimiter.Length));
            var index = IndexOf(window, delimiter);
            if (index >= 0 && (best < 0 || index < best || (index == best && delimiter.Length > delimiterLength)))
            {
                best = index;
                delimiterLength = delimiter.Length;
            }
        }

        return best;
    }

    /// <summary>
    /// Compares the start of <paramref name="input"/> with <paramref name="marker"/>: 1 when it starts with the
    /// whole marker, 0 when the input is a (possibly empty) proper prefix of it, -1 when it differs.
    /// </summary>
    public static int MatchPrefix(in ReadOnlySequence<byte> input, ReadOnlySpan<byte> marker)
    {
        var first = input.FirstSpan;
        if (first.Length >= marker.Length)
        {
            return first.StartsWith(marker) ? 1 : -1;
        }

        var reader = new SequenceReader<byte>(input);
        for (var i = 0; i < marker.Length; i++)
        {
            if (!reader.TryRead(out var b))
            {
                return 0;
            }

            if (b != marker[i])
            {
                return -1;
            }
        }

        return 1;
    }

    /// <summary>
    /// True when appending <paramref name="appended"/> to <paramref name="payload"/> would create a delimiter that
    /// starts inside the payload (payload "a\r" + LF reads as "a" + CRLF), so the peer would cut the frame short.
    /// </summary>
    public static bool DelimiterCrossesEnd(in ReadOnlySequence<byte> payload, byte[][] delimiters, byte[] appended)
    {
        var longest = 0;
        foreach (var delimiter in delimiters)
        {
            longest = Math.Max(longest, delimiter.Length);
        }

        var tailLength = (int)Math.Min(payload.Length, longest - 1);
        if (tailLength == 0)
        {
            return false;
        }

        // Markers and delimiters are short, so this stays on the stack; a pathological long one rents instead.
        var length = tailLength + appended.Length;
        byte[]? rented = null;
        var joined = length <= 256 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        payload.Slice(payload.Length - tailLength).CopyTo(joined);
        appended.CopyTo(joined[tailLength..]);
        var crosses = false;
        foreach (var delimiter in delimiters)
        {
            var index = joined.IndexOf(delimiter);
            crosses |= index >= 0 && index < tailLength;
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return crosses;
    }

    /// <summary>Copies a non-empty delimiter or marker so options stay immutable whatever the caller does with its array.</summary>
    public static ReadOnlyMemory<byte> CopyMarker(ReadOnlyMemory<byte> value, string paramName)
    {
        if (value.IsEmpty)
        {
            throw new ArgumentException("A delimiter or marker must contain at least one byte.", paramName);
        }

        return value.ToArray();
    }
}
