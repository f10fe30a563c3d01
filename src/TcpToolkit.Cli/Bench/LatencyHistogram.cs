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

    private readonly long[] _counts = new long[LinearLimit + ((MaxBits - SubBucketBits - 1) * SubBucketCount)];

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
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(HighestValueAt(i), Max);
            }
        }

        return Max;
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
