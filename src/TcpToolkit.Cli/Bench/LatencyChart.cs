using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TcpToolkit.Cli.Bench;

/// <summary>
/// Draws a <see cref="LatencyHistogram"/> as horizontal bars: its buckets grouped into at most
/// <see cref="MaxRows"/> rows of geometrically growing width from the fastest round trip to the slowest, each bar
/// scaled to the fullest row, with the share of round trips and the percentiles (p50, p90, p99, p99.9, max) each row
/// holds.
/// </summary>
internal static class LatencyChart
{
    /// <summary>The most rows drawn: enough to see the shape and the tail, few enough for one screen.</summary>
    public const int MaxRows = 20;

    private const int MinBarWidth = 10;
    private const string Eighths = " ▏▎▍▌▋▊▉";

    private static readonly (string Name, double Percentile)[] Marks = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("max", 100)];

    public static string Draw(LatencyHistogram histogram, ChartStyle style)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        if (histogram.Count == 0)
        {
            return "  round-trip latency: no round trip measured" + Environment.NewLine;
        }

        var rows = Rows(histogram);
        foreach (var (name, percentile) in Marks)
        {
            // The row that holds the value's bucket, as the bucket's count went there.
            var value = percentile >= 100 ? histogram.Max : histogram.ValueAtPercentile(percentile);
            var lowest = LatencyHistogram.LowestValueAt(LatencyHistogram.IndexOf(value));
            rows[Math.Max(rows.FindLastIndex(r => r.Low <= lowest), 0)].Marks.Add(name);
        }

        var labels = rows.Select(r => Label(r.Low, r.High)).ToArray();
        var labelWidth = labels.Max(l => l.Length);
        var countWidth = rows.Max(r => r.Count.ToString("N0", c).Length);
        var markWidth = rows.Max(r => r.Marks.Count == 0 ? 0 : 2 + string.Join(' ', r.Marks).Length);

        // "  label |bar| 100.0%  count  marks", one character short of the width so a terminal does not wrap it.
        var barWidth = Math.Max(MinBarWidth, style.Width - 1 - (2 + labelWidth + 3 + 1 + 7 + 2 + countWidth + markWidth));
        var fullest = rows.Max(r => r.Count);
        var separator = style.Unicode ? '│' : '|';
        text.Append(c, $"  round-trip latency, {histogram.Count:N0} round trips:").AppendLine();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            text.Append("  ").Append(labels[i].PadLeft(labelWidth)).Append(' ').Append(separator);
            Bar(text, row.Count, fullest, barWidth, style.Unicode);
            text.Append(separator);
            text.Append(c, $" {100.0 * row.Count / histogram.Count,6:0.0}%  {row.Count.ToString("N0", c).PadLeft(countWidth)}");
            if (row.Marks.Count > 0)
            {
                text.Append("  ").Append(string.Join(' ', row.Marks));
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>
    /// Groups the histogram's buckets into rows: the bounds grow by a constant factor from the fastest round trip's
    /// bucket to the slowest's (so a long tail gets rows without squashing the body); a bucket goes to the row its
    /// lowest value falls in.
    /// </summary>
    private static List<Row> Rows(LatencyHistogram histogram)
    {
        var first = -1;
        var last = -1;
        for (var i = 0; i < LatencyHistogram.BucketCount; i++)
        {
            if (histogram.CountAt(i) > 0)
            {
                first = first < 0 ? i : first;
                last = i;
            }
        }

        var low = Math.Max(LatencyHistogram.LowestValueAt(first), 1);
        var high = Math.Max(Math.Min(LatencyHistogram.HighestValueAt(last), histogram.Max) + 1, low + 1);
        var rowCount = Math.Min(MaxRows, last - first + 1);
        var factor = Math.Pow((double)high / low, 1.0 / rowCount);
        var rows = new List<Row>(rowCount);
        var bound = (double)low;
        for (var r = 0; r < rowCount; r++)
        {
            var next = r == rowCount - 1 ? high : Math.Max((long)Math.Round(bound * factor), (long)bound + 1);
            rows.Add(new Row(r == 0 ? LatencyHistogram.LowestValueAt(first) : (long)bound, next - 1));
            bound = next;
        }

        // Rows that ended up empty of values (integer rounding at the fast end) are merged into their neighbour.
        rows.RemoveAll(r => r.High < r.Low);
        for (var i = first; i <= last; i++)
        {
            var value = LatencyHistogram.LowestValueAt(i);
            var row = rows.FindLastIndex(r => r.Low <= value);
            rows[Math.Max(row, 0)].Count += histogram.CountAt(i);
        }

        return rows;
    }

    private static void Bar(StringBuilder text, long count, long fullest, int width, bool unicode)
    {
        var eighths = (int)Math.Round(8.0 * width * count / fullest);
        if (count > 0 && eighths == 0)
        {
            eighths = 1; // a row that holds anything shows it
        }

        if (unicode)
        {
            text.Append('█', eighths / 8);
            if (eighths % 8 != 0)
            {
                text.Append(Eighths[eighths % 8]);
            }

            text.Append(' ', width - (eighths / 8) - (eighths % 8 == 0 ? 0 : 1));
        }
        else
        {
            var full = (eighths + 4) / 8;
            full = count > 0 ? Math.Max(full, 1) : 0;
            text.Append('#', full).Append(' ', width - full);
        }
    }

    /// <summary>A row's bounds, as the report prints latencies: microseconds, or milliseconds from 10 ms on.</summary>
    private static string Label(long low, long high)
    {
        var c = CultureInfo.InvariantCulture;
        var lowUs = low * 1e6 / Stopwatch.Frequency;
        var highUs = (high + 1) * 1e6 / Stopwatch.Frequency;
        return highUs >= 10_000
            ? string.Create(c, $"{lowUs / 1000:N1} - {highUs / 1000:N1} ms")
            : string.Create(c, $"{lowUs:N1} - {highUs:N1} us");
    }

    private sealed class Row(long low, long high)
    {
        public long Low { get; } = low;

        public long High { get; } = high;

        public long Count { get; set; }

        public List<string> Marks { get; } = [];
    }
}
