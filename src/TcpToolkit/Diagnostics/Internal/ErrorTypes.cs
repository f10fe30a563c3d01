using System.Collections.Concurrent;
using System.Text;

namespace TcpToolkit.Diagnostics.Internal;

/// <summary>
/// The values of the <c>error.type</c> attribute: an enum member's name in snake case (<c>RemoteReset</c> becomes
/// <c>remote_reset</c>, <c>TimedOut</c> <c>timed_out</c>), so each enum is a small fixed vocabulary, and
/// <see cref="Other"/> for a value the enum does not define. The strings are made once per value and cached.
/// </summary>
internal static class ErrorTypes
{
    /// <summary>The semantic conventions' value for an error outside the vocabulary.</summary>
    public const string Other = "_OTHER";

    /// <summary>Gets <paramref name="value"/>'s name in snake case, or <see cref="Other"/>.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum
        => Names<TEnum>.Cache.GetOrAdd(value, static v => Enum.IsDefined(v) ? SnakeCase(v.ToString()) : Other);

    /// <summary>Gets <paramref name="value"/>'s name in snake case, after <paramref name="prefix"/> and an underscore.</summary>
    public static string Of<TEnum>(string prefix, TEnum value)
        where TEnum : struct, Enum
        => Prefixed<TEnum>.Cache.GetOrAdd((prefix, value), static key => Enum.IsDefined(key.Value) ? key.Prefix + "_" + SnakeCase(key.Value.ToString()) : Other);

    /// <summary>
    /// <c>LengthField</c> → <c>length_field</c>, <c>IOPending</c> → <c>io_pending</c>: an underscore before each
    /// capital that starts a word (after a lower-case letter or digit, or before a lower-case letter in a run of
    /// capitals), then everything in lower case.
    /// </summary>
    public static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                var previous = name[i - 1];
                var startsWord = char.IsLower(previous) || char.IsDigit(previous)
                    || (char.IsUpper(previous) && i + 1 < name.Length && char.IsLower(name[i + 1]));
                if (startsWord && previous != '_')
                {
                    text.Append('_');
                }
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    private static class Names<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly ConcurrentDictionary<TEnum, string> Cache = new();
    }

    private static class Prefixed<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly ConcurrentDictionary<(string Prefix, TEnum Value), string> Cache = new();
    }
}
