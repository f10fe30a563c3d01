using System.Numerics;

namespace TcpToolkit.Cli.Bench;

/// <summary>
/// A log-linear histogram in the spirit of HdrHistogram: values below 256 are counted exactly, larger ones in 128
/// sub-buckets per power of two (under 0.8% relative error). Fixed memory (about 34 KiB), no allocation per value,
/// values up to 2^40 (about 18 minutes in nanoseconds; larger values count in the top bucket). Not thread-safe:
/// one per connection, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBucketCount = 1 << SubBucketBits;
    private const int LinearLimit = 2 * SubBucketCount;
    private const int MaxBits = 40;
    private const long MaxTrackable = (1L << MaxBits) - 1;

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>The number of buckets: 256 exact values, then 128 per power of two up to 2^40.</summary>
    internal const int BucketCount = LinearLimit + ((MaxBits - SubBucketBits - 1) * SubBucketCount);

    public long Count { get; private set; }

    public long Max { get; private set; }

    public void Record(long value)
    {
        value = Math.Clamp(value, 0, MaxTrackable);
        _counts[IndexOf(value)]++;
        Count++;
        if (value > Max)
        {
            Max = value;
        }
    }

    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The value at <paramref name="percentile"/> (0-100): the highest value of the bucket holding that rank, capped at <see cref="Max"/>.</summary>
    public long ValueAtPercentile(double percentile)
        => Count == 0 ? 0 : Math.Min(ValueAtPercentile(_counts, Count, percentile), Max);

    /// <summary>Gets the count of bucket <paramref name="index"/> (0 to <see cref="BucketCount"/> - 1).</summary>
    internal long CountAt(int index) => _counts[index];

    /// <summary>
    /// Adds every bucket's count to <paramref name="totals"/> (<see cref="BucketCount"/> long). Safe to call from
    /// another thread while the owner records (the progress display does, once a second): each 64-bit count is read
    /// whole, and the counts only grow, so the sum is the histogram at some recent moment, give or take the values
    /// recorded meanwhile. Never used for the result, which merges the histograms after the connections stopped.
    /// </summary>
    internal void AddCountsTo(Span<long> totals)
    {
        // Buckets above the one holding Max are empty: a stale Max only defers a count to the next sample.
        var counts = _counts.AsSpan(0, Math.Min(IndexOf(Max) + 1, _counts.Length));
        for (var i = 0; i < counts.Length; i++)
        {
            totals[i] += Volatile.Read(ref counts[i]);
        }
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0-100) of bucket counts (<see cref="BucketCount"/> long) holding
    /// <paramref name="count"/> values in all: the highest value of the bucket holding that rank, or 0 when empty.
    /// </summary>
    internal static long ValueAtPercentile(ReadOnlySpan<long> counts, long count, double percentile)
    {
        if (count <= 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * count));
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
                return HighestValueAt(i);
            }
        }

        return HighestValueAt(last);
    }

    internal static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        var shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - SubBucketBits;
        var mantissa = (int)(value >> shift);
        return LinearLimit + ((shift - 1) * SubBucketCount) + (mantissa - SubBucketCount);
    }

    /// <summary>The lowest value that counts in bucket <paramref name="index"/>.</summary>
    internal static long LowestValueAt(int index) => index == 0 ? 0 : HighestValueAt(index - 1) + 1;

    /// <summary>The highest value that counts in bucket <paramref name="index"/>.</summary>
    internal static long HighestValueAt(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var offset = index - LinearLimit;
        var shift = (offset / SubBucketCount) + 1;
        long mantissa = (offset % SubBucketCount) + SubBucketCount;
        return ((mantissa + 1) << shift) - 1;
    }
}
