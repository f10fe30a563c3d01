using System.Globalization;

namespace TcpToolkit.Cli.Metrics;

/// <summary>One combination of attribute values of an instrument, with what its aggregator keeps for it.</summary>
internal abstract class MetricSeries
{
    private readonly KeyValuePair<string, object?>[] _tags;

    protected MetricSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        _tags = tags.ToArray();
        Attributes = [.. _tags
            .Select(t => (t.Key, Value: Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""))
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => t.Key + "=" + t.Value)];
    }

    /// <summary>Gets the attributes as printed, <c>key=value</c> sorted by key.</summary>
    public IReadOnlyList<string> Attributes { get; }

    /// <summary>Whether <paramref name="tags"/> are this series' attributes, in any order (no allocation).</summary>
    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != _tags.Length)
        {
            return false;
        }

        foreach (var tag in tags)
        {
            if (!Contains(tag))
            {
                return false;
            }
        }

        return true;
    }

    private bool Contains(KeyValuePair<string, object?> tag)
    {
        foreach (var own in _tags)
        {
            if (string.Equals(own.Key, tag.Key, StringComparison.Ordinal))
            {
                return Equals(own.Value, tag.Value);
            }
        }

        return false;
    }
}
