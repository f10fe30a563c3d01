using System.Text;

namespace TcpToolkit.Protocol;

/// <summary>
/// Maps a <c>content-encoding</c> (a Python codec name) to a strict .NET <see cref="Encoding"/>. Python accepts any
/// codec it knows; this covers the ones a peer plausibly sends, spelled the ways Python accepts them.
/// </summary>
internal static class ContentEncodings
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UnicodeEncoding s_utf16LittleEndian = new(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly UnicodeEncoding s_utf16BigEndian = new(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly Encoding s_ascii = Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    /// <summary>Decodes <paramref name="content"/>; <see langword="false"/> when the name is unknown.</summary>
    /// <exception cref="DecoderFallbackException">The bytes are not valid in that encoding.</exception>
    public static bool TryDecode(string name, ReadOnlySpan<byte> content, out string text)
    {
        switch (Normalize(name))
        {
            case "utf-8" or "utf8" or "u8":
                text = s_utf8.GetString(content);
                return true;
            case "latin-1" or "latin1" or "l1" or "iso-8859-1" or "iso8859-1" or "8859":
                text = Encoding.Latin1.GetString(content);
                return true;
            case "ascii" or "us-ascii" or "646":
                text = s_ascii.GetString(content);
                return true;
            case "utf-16-le" or "utf-16le":
                text = s_utf16LittleEndian.GetString(content);
                return true;
            case "utf-16-be" or "utf-16be":
                text = s_utf16BigEndian.GetString(content);
                return true;
            case "utf-16" or "utf16":
                // Python's utf-16 codec consumes a BOM and picks the byte order from it, little-endian without one.
                text = content switch
                {
                    [0xFF, 0xFE, ..] => s_utf16LittleEndian.GetString(content[2..]),
                    [0xFE, 0xFF, ..] => s_utf16BigEndian.GetString(content[2..]),
                    _ => s_utf16LittleEndian.GetString(content),
                };
                return true;
            default:
                text = string.Empty;
                return false;
        }
    }

    // Python's codec lookup ignores case and treats '_' and ' ' like '-'.
    // The guide always sends "utf-8": return it without allocating.
    private static string Normalize(string name) =>
        name == "utf-8" ? name : name.Trim().ToLowerInvariant().Replace('_', '-').Replace(' ', '-');
}
