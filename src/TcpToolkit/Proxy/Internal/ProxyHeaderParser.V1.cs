using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Proxy.Internal;

/// <summary>Version 1: one line of US-ASCII, <c>PROXY TCP4|TCP6|UNKNOWN ...\r\n</c>, at most 107 bytes (section 2.1).</summary>
internal static partial class ProxyHeaderParser
{
    private static ProxyParseResult ParseV1(in ReadOnlySequence<byte> input, out ProxyProtocolHeader? header, out int length)
    {
        header = null;
        length = 0;
        Span<byte> line = stackalloc byte[V1MaxLength];
        line = line[..(int)Math.Min(input.Length, V1MaxLength)];
        input.Slice(0, line.Length).CopyTo(line);

        // Fail as soon as a byte cannot belong to the line, rather than wait for 107 bytes of garbage.
        if (line.Length > 5 && line[5] != (byte)' ')
        {
            return ProxyParseResult.Fail(ProxyProtocolError.Malformed, "A version 1 header starts with \"PROXY\" and exactly one space.");
        }

        for (var i = 0; i < line.Length; i++)
        {
            var b = line[i];
            if (b == (byte)'\r')
            {
                if (i + 1 == line.Length)
                {
                    return line.Length == V1MaxLength ? NoCrLf() : ProxyParseResult.NeedMoreData;
                }

                if (line[i + 1] != (byte)'\n')
                {
                    return ProxyParseResult.Fail(ProxyProtocolError.Malformed, $"A CR at byte {i} of the version 1 line is not followed by LF.");
                }

                length = i + 2;
                return ParseV1Line(line[..i], length, out header);
            }

            if (b == (byte)'\n')
            {
                return ProxyParseResult.Fail(ProxyProtocolError.Malformed, $"A LF at byte {i} of the version 1 line without a CR before it; the line ends with CRLF.");
            }

            if (b is < 0x20 or > 0x7E)
            {
                return ProxyParseResult.Fail(ProxyProtocolError.Malformed, $"Byte 0x{b:X2} at byte {i} of the version 1 line is not printable US-ASCII.");
            }
        }

        return line.Length == V1MaxLength ? NoCrLf() : ProxyParseResult.NeedMoreData;

        static ProxyParseResult NoCrLf() => ProxyParseResult.Fail(
            ProxyProtocolError.Malformed, $"The version 1 line has no CRLF within its first {V1MaxLength} bytes.");
    }

    /// <summary>Parses the line without its CRLF (already checked to be printable US-ASCII).</summary>
    private static ProxyParseResult ParseV1Line(ReadOnlySpan<byte> line, int length, out ProxyProtocolHeader? header)
    {
        header = null;
        var rest = line[6..];

        // UNKNOWN: the sender may add anything before the CRLF, and the receiver ignores it.
        if (rest.StartsWith("UNKNOWN"u8) && (rest.Length == 7 || rest[7] == (byte)' '))
        {
            header = new ProxyProtocolHeader(1, false, AddressFamily.Unspecified, SocketType.Unknown, null, null, length, [], ProxyTlvSet.Empty);
            return ProxyParseResult.Parsed;
        }

        AddressFamily family;
        if (rest.StartsWith("TCP4 "u8))
        {
            family = AddressFamily.InterNetwork;
        }
        else if (rest.StartsWith("TCP6 "u8))
        {
            family = AddressFamily.InterNetworkV6;
        }
        else
        {
            return ProxyParseResult.Fail(ProxyProtocolError.Malformed, "The version 1 protocol must be TCP4, TCP6 or UNKNOWN, followed by one space.");
        }

        // Exactly four fields, each separated by exactly one space: source, destination, source port, destination port.
        var fields = rest[5..];
        Span<Range> ranges = stackalloc Range[4];
        var count = 0;
        var start = 0;
        for (var i = 0; i <= fields.Length; i++)
        {
            if (i < fields.Length && fields[i] != (byte)' ')
            {
                continue;
            }

            if (i == start)
            {
                return ProxyParseResult.Fail(ProxyProtocolError.Malformed, "The fields of a version 1 line are separated by exactly one space.");
            }

            if (count == ranges.Length)
            {
                return TooManyOrFew();
            }

            ranges[count++] = start..i;
            start = i + 1;
        }

        if (count != ranges.Length)
        {
            return TooManyOrFew();
        }

        Span<byte> sourceBytes = stackalloc byte[16];
        Span<byte> destinationBytes = stackalloc byte[16];
        var size = family == AddressFamily.InterNetwork ? 4 : 16;
        if (!TryParseAddress(fields[ranges[0]], family, sourceBytes) || !TryParseAddress(fields[ranges[1]], family, destinationBytes))
        {
            return ProxyParseResult.Fail(
                ProxyProtocolError.InvalidAddress,
                family == AddressFamily.InterNetwork
                    ? "A TCP4 address must be four decimal numbers 0-255 without leading zeros, separated by dots."
                    : "A TCP6 address must be colon-separated groups of hex digits with at most one \"::\".");
        }

        if (!AddressText.TryParsePort(fields[ranges[2]], out var sourcePort) || !AddressText.TryParsePort(fields[ranges[3]], out var destinationPort))
        {
            return ProxyParseResult.Fail(ProxyProtocolError.InvalidAddress, "A version 1 port must be a decimal number 0-65535 without leading zeros.");
        }

        header = new ProxyProtocolHeader(
            1,
            false,
            family,
            SocketType.Stream,
            new IPEndPoint(new IPAddress(sourceBytes[..size]), sourcePort),
            new IPEndPoint(new IPAddress(destinationBytes[..size]), destinationPort),
            length,
            [],
            ProxyTlvSet.Empty);
        return ProxyParseResult.Parsed;
    }

    private static ProxyParseResult TooManyOrFew() => ProxyParseResult.Fail(
        ProxyProtocolError.Malformed,
        "A version 1 TCP line has four fields after the protocol: source, destination, source port, destination port.");

    private static bool TryParseAddress(ReadOnlySpan<byte> text, AddressFamily family, Span<byte> address)
        => family == AddressFamily.InterNetwork ? AddressText.TryParseIPv4(text, address) : AddressText.TryParseIPv6(text, address);
}
