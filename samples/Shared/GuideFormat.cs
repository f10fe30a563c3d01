using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace TcpToolkit.Samples;

/// <summary>Prints values the way the guide's Python programs do, so their output reads the same.</summary>
internal static class GuideFormat
{
    /// <summary>An address as Python prints a socket address tuple: <c>('127.0.0.1', 54321)</c>, <c>('::1', 54321, 0, 0)</c>.</summary>
    public static string Address(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => Address(new IPEndPoint(ip.Address.MapToIPv4(), ip.Port)),
        IPEndPoint ip when ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            => string.Create(CultureInfo.InvariantCulture, $"('{WithoutScope(ip.Address)}', {ip.Port}, 0, {ip.Address.ScopeId})"),
        IPEndPoint ip => string.Create(CultureInfo.InvariantCulture, $"('{ip.Address}', {ip.Port})"),
        null => "None",
        _ => "'" + endPoint + "'",
    };

    /// <summary>A host and port as the guide prints them: <c>('127.0.0.1', 65432)</c>.</summary>
    public static string Address(string host, int port) => string.Create(CultureInfo.InvariantCulture, $"('{host}', {port})");

    /// <summary>Bytes as Python's <c>repr(bytes)</c>: <c>b'Hello, world'</c>, with <c>\x</c> escapes for the rest.</summary>
    public static string Bytes(ReadOnlySpan<byte> bytes)
    {
        // Python picks double quotes only when the bytes hold a ' and no ".
        var quote = bytes.Contains((byte)'\'') && !bytes.Contains((byte)'"') ? '"' : '\'';
        var builder = new StringBuilder(bytes.Length + 3);
        builder.Append('b').Append(quote);
        foreach (var b in bytes)
        {
            switch (b)
            {
                case (byte)'\\': builder.Append("\\\\"); break;
                case (byte)'\t': builder.Append("\\t"); break;
                case (byte)'\n': builder.Append("\\n"); break;
                case (byte)'\r': builder.Append("\\r"); break;
                case var q when q == quote: builder.Append('\\').Append(quote); break;
                case >= 0x20 and < 0x7f: builder.Append((char)b); break;
                default: builder.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture)); break;
            }
        }

        return builder.Append(quote).ToString();
    }

    /// <summary>
    /// A string as Python's <c>repr(str)</c>: <c>'morpheus'</c>. Single quotes unless the text holds a ' and no ";
    /// <c>\\ \n \r \t</c> escaped; other non-printable characters as <c>\xNN</c>, <c>\uNNNN</c> or <c>\UNNNNNNNN</c>;
    /// printable non-ASCII (emoji too) written as it is.
    /// </summary>
    public static string Str(string text)
    {
        var quote = text.Contains('\'', StringComparison.Ordinal) && !text.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var builder = new StringBuilder(text.Length + 2).Append(quote);
        for (var i = 0; i < text.Length;)
        {
            // A lone surrogate is not a Rune; Python prints it as \udXXX, so take it as one UTF-16 unit.
            var status = Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used);
            var value = status == System.Buffers.OperationStatus.Done ? rune.Value : text[i];
            i += status == System.Buffers.OperationStatus.Done ? used : 1;
            switch (value)
            {
                case '\\': builder.Append("\\\\"); break;
                case '\t': builder.Append("\\t"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case var q when q == quote: builder.Append('\\').Append(quote); break;
                case var _ when status == System.Buffers.OperationStatus.Done && IsPrintable(rune): builder.Append(rune.ToString()); break;
                case <= 0xff: builder.Append(CultureInfo.InvariantCulture, $"\\x{value:x2}"); break;
                case <= 0xffff: builder.Append(CultureInfo.InvariantCulture, $"\\u{value:x4}"); break;
                default: builder.Append(CultureInfo.InvariantCulture, $"\\U{value:x8}"); break;
            }
        }

        return builder.Append(quote).ToString();
    }

    /// <summary>
    /// A decoded JSON value as Python prints what <c>json.loads</c> returns: <c>{'result': 'No match for \'x\'.'}</c>,
    /// <c>None</c>, <c>True</c>, <c>[1, 2]</c>. For a repeated key the first position and the last value count, as in a dict.
    /// </summary>
    public static string Json(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new Dictionary<string, string>(StringComparer.Ordinal);
                var order = new List<string>();
                foreach (var property in element.EnumerateObject())
                {
                    var key = Str(property.Name);
                    if (!members.ContainsKey(key))
                    {
                        order.Add(key);
                    }

                    members[key] = Json(property.Value);
                }

                return "{" + string.Join(", ", order.Select(key => key + ": " + members[key])) + "}";
            case JsonValueKind.Array:
                return "[" + string.Join(", ", element.EnumerateArray().Select(Json)) + "]";
            case JsonValueKind.String:
                return Str(element.GetString()!);
            case JsonValueKind.Number:
                return Number(element);
            case JsonValueKind.True:
                return "True";
            case JsonValueKind.False:
                return "False";
            default:
                return "None";
        }
    }

    /// <summary>Whether Python would find the decoded JSON value false: <c>null</c>, <c>false</c>, <c>0</c>, <c>""</c>, <c>[]</c>, <c>{}</c>.</summary>
    public static bool IsFalsy(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.False or JsonValueKind.Undefined => true,
        JsonValueKind.Number => element.GetDouble() == 0,
        JsonValueKind.String => element.GetString()!.Length == 0,
        JsonValueKind.Array => element.GetArrayLength() == 0,
        JsonValueKind.Object => !element.EnumerateObject().Any(),
        _ => false,
    };

    private static string WithoutScope(IPAddress address)
    {
        var text = address.ToString();
        var percent = text.IndexOf('%', StringComparison.Ordinal);
        return percent < 0 ? text : text[..percent];
    }

    /// <summary>A JSON number as Python prints it: an int as written, a float with a fraction or exponent (<c>1.0</c>, <c>1e+16</c>).</summary>
    private static string Number(JsonElement element)
    {
        var raw = element.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
        {
            return System.Numerics.BigInteger.Parse(raw, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        }

        var text = element.GetDouble().ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        return text.AsSpan().IndexOfAny('.', 'e') < 0 ? text + ".0" : text;
    }

    /// <summary>Python's <c>str.isprintable</c> for one character: not a control, format, separator (but space) or unassigned.</summary>
    private static bool IsPrintable(Rune rune) => rune.Value == ' ' || Rune.GetUnicodeCategory(rune) is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
        or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.SpaceSeparator);
}
