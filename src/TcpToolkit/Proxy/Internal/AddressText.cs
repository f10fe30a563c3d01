using System.Buffers.Binary;

namespace TcpToolkit.Proxy.Internal;

/// <summary>
/// The strict text forms of version 1 headers: IPv4 as four decimal numbers 0-255 without leading zeros, IPv6 as
/// colon-separated groups of 1-4 hex digits with at most one <c>::</c> (and an optional dotted IPv4 tail, which
/// <c>inet_ntop</c> writes for IPv4-mapped addresses), ports as decimal 0-65535 without leading zeros. Stricter than
/// <see cref="System.Net.IPAddress.TryParse(ReadOnlySpan{char}, out System.Net.IPAddress?)"/>, which takes <c>1</c>,
/// <c>0x7f.1</c>, zones and brackets.
/// </summary>
internal static class AddressText
{
    public static bool TryParseIPv4(ReadOnlySpan<byte> text, Span<byte> address)
    {
        var i = 0;
        for (var part = 0; part < 4; part++)
        {
            if (part > 0)
            {
                if (i >= text.Length || text[i] != (byte)'.')
                {
                    return false;
                }

                i++;
            }

            var start = i;
            var value = 0;
            while (i < text.Length && IsDigit(text[i]) && i - start < 3)
            {
                value = (value * 10) + (text[i] - '0');
                i++;
            }

            var digits = i - start;
            if (digits == 0 || (digits > 1 && text[start] == (byte)'0') || value > 255 || (i < text.Length && IsDigit(text[i])))
            {
                return false;
            }

            address[part] = (byte)value;
        }

        return i == text.Length;
    }

    public static bool TryParseIPv6(ReadOnlySpan<byte> text, Span<byte> address)
    {
        Span<ushort> groups = stackalloc ushort[8];
        var count = 0;
        var gap = -1;
        var i = 0;
        if (text.StartsWith("::"u8))
        {
            gap = 0;
            i = 2;
        }
        else if (text.IsEmpty || text[0] == (byte)':')
        {
            return false;
        }

        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && IsHex(text[i]) && i - start < 5)
            {
                i++;
            }

            if (i < text.Length && text[i] == (byte)'.')
            {
                // A dotted IPv4 tail: the last 32 bits, and nothing after it.
                if (count > 6 || !TryParseIPv4(text[start..], address[12..]))
                {
                    return false;
                }

                groups[count++] = BinaryPrimitives.ReadUInt16BigEndian(address[12..]);
                groups[count++] = BinaryPrimitives.ReadUInt16BigEndian(address[14..]);
                i = text.Length;
                break;
            }

            var digits = i - start;
            if (digits is 0 or > 4 || count == 8)
            {
                return false;
            }

            groups[count++] = ParseHex(text[start..i]);
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != (byte)':')
            {
                return false;
            }

            i++;
            if (i < text.Length && text[i] == (byte)':')
            {
                if (gap >= 0)
                {
                    return false;
                }

                gap = count;
                i++;
            }
            else if (i == text.Length)
            {
                return false;
            }
        }

        // Without "::" exactly eight groups; with it at most seven (it stands for one or more zero groups).
        if (gap < 0 ? count != 8 : count > 7)
        {
            return false;
        }

        address[..16].Clear();
        var tail = count - (gap < 0 ? count : gap);
        for (var g = 0; g < count - tail; g++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(address[(g * 2)..], groups[g]);
        }

        for (var g = 0; g < tail; g++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(address[((8 - tail + g) * 2)..], groups[count - tail + g]);
        }

        return true;
    }

    public static bool TryParsePort(ReadOnlySpan<byte> text, out int port)
    {
        port = 0;
        if (text.IsEmpty || text.Length > 5 || (text.Length > 1 && text[0] == (byte)'0'))
        {
            return false;
        }

        foreach (var b in text)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            port = (port * 10) + (b - '0');
        }

        return port <= ushort.MaxValue;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsHex(byte b) => IsDigit(b) || b is >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static ushort ParseHex(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var b in digits)
        {
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        }

        return (ushort)value;
    }
}
