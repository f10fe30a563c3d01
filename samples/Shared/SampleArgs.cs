using System.Globalization;

namespace TcpToolkit.Samples;

/// <summary>A tiny parser for <c>--name value</c> and <c>--flag</c> options; the samples need nothing more.</summary>
internal sealed class SampleArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _all = new(StringComparer.Ordinal);

    private SampleArgs()
    {
    }

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positional { get; } = [];

    /// <summary>Parses <paramref name="args"/>; <paramref name="flags"/> are options without a value.</summary>
    public static SampleArgs Parse(string[] args, params string[] flags)
    {
        var parsed = new SampleArgs();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                if (flags.Contains(arg) || i + 1 >= args.Length)
                {
                    parsed._options[arg] = null;
                }
                else
                {
                    var value = args[++i];
                    parsed._options[arg] = value;
                    if (!parsed._all.TryGetValue(arg, out var values))
                    {
                        parsed._all[arg] = values = [];
                    }

                    values.Add(value);
                }
            }
            else
            {
                parsed.Positional.Add(arg);
            }
        }

        return parsed;
    }

    /// <summary>Whether <paramref name="name"/> was given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The value of <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string Get(string name, string fallback) => _options.TryGetValue(name, out var value) && value is not null ? value : fallback;

    /// <summary>Every value of a repeatable option <paramref name="name"/>, in order (empty when not given).</summary>
    public IReadOnlyList<string> GetAll(string name) => _all.TryGetValue(name, out var values) ? values : [];

    /// <summary>The integer value of <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public int GetInt(string name, int fallback)
        => _options.TryGetValue(name, out var value) && value is not null ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
