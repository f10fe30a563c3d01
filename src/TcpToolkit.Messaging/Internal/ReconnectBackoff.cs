namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015): a random
/// delay in the upper half of the doubling window, so clients spread out and the delay still grows whatever the draw
/// (full jitter can draw near-zero delays several times in a row, issue #13's reconnect storm).
/// </summary>
internal static class ReconnectBackoff
{
    /// <summary>The upper bound of the delay before reconnect attempt <paramref name="attempt"/> (0-based): min(max, initial * 2^attempt).</summary>
    public static TimeSpan Ceiling(int attempt, TimeSpan initial, TimeSpan max)
    {
        // 2^attempt overflows long ticks quickly; past 62 doublings any initial delay is above any max.
        if (attempt >= 62)
        {
            return max;
        }

        var ticks = initial.Ticks;
        var scaled = ticks > (long.MaxValue >> attempt) ? long.MaxValue : ticks << attempt;
        return scaled >= max.Ticks ? max : TimeSpan.FromTicks(scaled);
    }

    /// <summary>A random delay in [ceiling/2, <see cref="Ceiling"/>]: half the ceiling plus <paramref name="jitter"/> (in [0, 1]) times the other half.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, Func<double> jitter)
    {
        var fraction = jitter();
        if (!(fraction >= 0))
        {
            fraction = 0; // NaN or negative from a custom source
        }
        else if (fraction > 1)
        {
            fraction = 1;
        }

        var ceiling = Ceiling(attempt, initial, max).Ticks;
        return TimeSpan.FromTicks((ceiling / 2) + (long)((ceiling - (ceiling / 2)) * fraction));
    }
}
