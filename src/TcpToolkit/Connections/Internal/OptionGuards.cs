namespace TcpToolkit.Connections.Internal;

/// <summary>Validation shared by the options classes: <see langword="null"/> means unlimited, nothing else does.</summary>
internal static class OptionGuards
{
    public static long? PositiveOrNull(long? value, string paramName)
    {
        if (value is <= 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive, or null for unlimited.");
        }

        return value;
    }

    public static int? PositiveOrNull(int? value, string paramName)
    {
        if (value is <= 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive, or null for unlimited.");
        }

        return value;
    }

    public static TimeSpan? PositiveOrNull(TimeSpan? value, string paramName)
    {
        if (value is { } span && span <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive, or null for none.");
        }

        return value;
    }

    public static TimeSpan Positive(TimeSpan value, string paramName)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "Must be positive, or Timeout.InfiniteTimeSpan.");
        }

        return value;
    }
}
