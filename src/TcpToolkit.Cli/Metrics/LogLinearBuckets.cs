namespace TcpToolkit.Cli.Metrics;

/// <summary>
/// Counts of double values in log-linear buckets: 32 per power of two (a bucket is under 3.2% wide) from 2^-40
/// (about 10^-12, a picosecond in seconds) to 2^64, one bucket for zero and below. Recording is one
/// <see cref="Interlocked.Increment(ref long)"/>, safe from any thread, no lock and no allocation; the counts only
/// grow, so a reader subtracts its previous copy to get an interval.
/// </summary>
internal sealed class LogLinearBuckets
{
    private const int SubBits = 5;
    private const int SubCount = 1 << SubBits;
    private const int MinExponent = -40;
    private const int MaxExponent = 63;

    /// <summary>The number of buckets: zero and below, then <c>SubCount</c> per power of two.</summary>
    public const int Count = 1 + ((MaxExponent - MinExponent + 1) * SubCount);

    private readonly long[] _counts = new long[Count];

    public void Record(double value) => Interlocked.Increment(ref _counts[IndexOf(value)]);

    /// <summary>Copies the counts (each read whole) into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<long> destination)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            destination[i] = Volatile.Read(ref _counts[i]);
        }
    }

    internal static int IndexOf(double value)
    {
        if (!(value > 0))
        {
            return 0; // zero, negative or NaN
        }

        var bits = BitConverter.DoubleToInt64Bits(value);
        var exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        if (exponent < MinExponent)
        {
            return 1;
        }

        if (exponent > MaxExponent)
        {
            return Count - 1;
        }

        var sub = (int)((bits >> (52 - SubBits)) & (SubCount - 1));
        return 1 + ((exponent - MinExponent) * SubCount) + sub;
    }

    /// <summary>
    /// The value a bucket stands for: for an instrument of integers (sizes, counts) the lowest integer in it, so a
    /// size that starts its bucket prints exactly; otherwise its middle.
    /// </summary>
    internal static double ValueAt(int index, bool integral)
    {
        if (index == 0)
        {
            return 0;
        }

        var exponent = ((index - 1) / SubCount) + MinExponent;
        var sub = (index - 1) % SubCount;
        var lower = Math.ScaleB(1 + ((double)sub / SubCount), exponent);
        var upper = Math.ScaleB(1 + ((double)(sub + 1) / SubCount), exponent);
        return integral ? Math.Ceiling(lower) : (lower + upper) / 2;
    }

    /// <summary>The value at <paramref name="percentile"/> (0-100) of <paramref name="counts"/>, which hold <paramref name="total"/> values.</summary>
    internal static double ValueAtPercentile(ReadOnlySpan<long> counts, long total, double percentile, bool integral)
    {
        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * total));
        long seen = 0;
        var last = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            last = i;
            seen += counts[i];
            if (seen >= rank)
            {
                return ValueAt(i, integral);
            }
        }

        return ValueAt(last, integral);
    }
}
