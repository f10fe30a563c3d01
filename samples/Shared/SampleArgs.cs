using System.Globalization;

namespace TcpToolkit.Samples;

/// <summary>A tiny parser for <c>--name value</c> and <c>--flag</c> options; the samples need nothing more.</summary>
internal sealed class SampleArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

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
                    parsed._options[arg] = args[++i];
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

    /// <summary>The integer value of <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public int GetInt(string name, int fallback)
        => _options.TryGetValue(name, out var value) && value is not null ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
