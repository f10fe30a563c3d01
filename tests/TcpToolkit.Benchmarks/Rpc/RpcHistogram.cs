using System.Diagnostics;

namespace TcpToolkit.Benchmarks.Rpc;

/// <summary>
/// A log-linear latency histogram (32 sub-buckets per power of two, about 3 % resolution), one per caller so recording
/// takes no lock and allocates nothing; merged at the end.
/// </summary>
internal sealed class RpcHistogram
{
    private const int SubBits = 5;
    private readonly long[] _counts = new long[64 << SubBits];

    public long Count { get; private set; }

    public void Record(long elapsedTicks)
    {
        var nanoseconds = (ulong)Math.Max(1, elapsedTicks * 1_000_000_000 / Stopwatch.Frequency);
        _counts[Index(nanoseconds)]++;
        Count++;
    }

    public void Add(RpcHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    /// <summary>The value at <paramref name="quantile"/>, in microseconds (the upper bound of its bucket).</summary>
    public double QuantileMicroseconds(double quantile)
    {
        var rank = (long)Math.Ceiling(quantile * Count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank && _counts[i] > 0)
            {
                return UpperBound(i) / 1000.0;
            }
        }

        return 0;
    }

    private static int Index(ulong value)
    {
        var log = 63 - (int)ulong.LeadingZeroCount(value);
        if (log < SubBits)
        {
            return (int)value;
        }

        var sub = (int)(value >> (log - SubBits)) & ((1 << SubBits) - 1);
        return ((log - SubBits + 1) << SubBits) + sub;
    }

    private static double UpperBound(int index)
    {
        var group = index >> SubBits;
        var sub = index & ((1 << SubBits) - 1);
        if (group == 0)
        {
            return sub;
        }

        var log = group + SubBits - 1;
        return ((1UL << log) + ((ulong)(sub + 1) << (log - SubBits))) - 1;
    }
}
