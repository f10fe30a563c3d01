using System.Globalization;
using System.Net;
using System.Text;

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

    private static string WithoutScope(IPAddress address)
    {
        var text = address.ToString();
        var percent = text.IndexOf('%', StringComparison.Ordinal);
        return percent < 0 ? text : text[..percent];
    }
}
