using System.Globalization;

namespace TcpToolkit.Cli.Metrics;

/// <summary>
/// Prints an instrument's values after its unit (UCUM, as the OpenTelemetry conventions write them): seconds and
/// milliseconds as a duration in ns/us/ms/s, bytes (<c>By</c>) in B/kB/MB/GB, anything else (<c>{connection}</c>…)
/// as a plain number, the unit being in the instrument's header.
/// </summary>
internal static class MetricFormat
{
    private static readonly string[] ByteUnits = ["B", "kB", "MB", "GB", "TB"];

    public static string Value(double value, string? unit, bool integral) => unit switch
    {
        "s" => Duration(value),
        "ms" => Duration(value / 1e3),
        "us" => Duration(value / 1e6),
        "ns" => Duration(value / 1e9),
        "By" => Bytes(value),
        _ => Number(value, integral),
    };

    /// <summary>A rate per second: bytes as B/s…, anything else as a number per second.</summary>
    public static string Rate(double perSecond, string? unit) => unit switch
    {
        "By" => Bytes(perSecond) + "/s",
        "s" or "ms" or "us" or "ns" => Value(perSecond, unit, integral: false) + "/s",
        _ => Number(perSecond, integral: false) + "/s",
    };

    private static string Duration(double seconds)
    {
        var magnitude = Math.Abs(seconds);
        return magnitude switch
        {
            0 => "0 s",
            < 1e-6 => Significant(seconds * 1e9) + " ns",
            < 1e-3 => Significant(seconds * 1e6) + " us",
            < 1 => Significant(seconds * 1e3) + " ms",
            _ => Significant(seconds) + " s",
        };
    }

    private static string Bytes(double bytes)
    {
        var scaled = bytes;
        var unit = 0;
        while (Math.Abs(scaled) >= 1000 && unit < ByteUnits.Length - 1)
        {
            scaled /= 1000;
            unit++;
        }

        return (unit == 0 ? Number(scaled, integral: true) : Significant(scaled)) + " " + ByteUnits[unit];
    }

    private static string Number(double value, bool integral)
        => integral || Math.Abs(value) >= 1000 || value == Math.Floor(value)
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : Significant(value);

    /// <summary>Three or four significant digits: 1.23, 12.3, 123, 1,234.</summary>
    private static string Significant(double value)
    {
        var magnitude = Math.Abs(value);
        var format = magnitude switch
        {
            < 10 => "0.00",
            < 100 => "0.0",
            _ => "N0",
        };
        return value.ToString(format, CultureInfo.InvariantCulture);
    }
}
