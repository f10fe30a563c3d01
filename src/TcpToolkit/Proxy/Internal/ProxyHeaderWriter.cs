using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Proxy.Internal;

/// <summary>Writes version 1 and version 2 headers (the sender's side of the specification).</summary>
internal static class ProxyHeaderWriter
{
    /// <summary>Version 2, command LOCAL (the high nibble is the version).</summary>
    public const byte V2Local = 0x20;

    /// <summary>Version 2, command PROXY.</summary>
    public const byte V2Proxy = 0x21;

    private const int UnixAddressLength = 108;

    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static int WriteV1(IBufferWriter<byte> output, EndPoint? source, EndPoint? destination)
    {
        if (source is null && destination is null)
        {
            output.Write("PROXY UNKNOWN\r\n"u8);
            return 15;
        }

        if (!TryGetIPPair(source, destination, out var from, out var to))
        {
            throw new ArgumentException(
                "A version 1 header needs two IPEndPoints of one family (TCP4 or TCP6), or no endpoint at all (UNKNOWN).",
                source is null || destination is null ? nameof(destination) : nameof(source));
        }

        return WriteV1Line(output, from, to);
    }

    public static int WriteV2(IBufferWriter<byte> output, EndPoint? source, EndPoint? destination, IReadOnlyList<ProxyProtocolTlv>? tlvs, bool includeChecksum)
    {
        if (source is null && destination is null)
        {
            return WriteV2Core(output, V2Local, 0x00, null, null, tlvs, includeChecksum);
        }

        if (source is null || destination is null)
        {
            throw new ArgumentException("Give both endpoints (PROXY), or neither (LOCAL).", source is null ? nameof(source) : nameof(destination));
        }

        if (!TryGetV2Family(source, destination, out var familyTransport, out var from, out var to))
        {
            throw new ArgumentException(
                "A version 2 header carries two IPEndPoints of one family or two UnixDomainSocketEndPoints.", nameof(source));
        }

        return WriteV2Core(output, V2Proxy, familyTransport, from, to, tlvs, includeChecksum);
    }

    /// <summary>
    /// Writes a header for a connection's own endpoints (the client middleware's default): the addresses when the
    /// version can carry them, otherwise <c>UNKNOWN</c> (version 1) or <c>PROXY</c> over <c>AF_UNSPEC</c> (version 2),
    /// which tell the receiver to keep its socket's addresses.
    /// </summary>
    public static int WriteForEndPoints(IBufferWriter<byte> output, int version, EndPoint? source, EndPoint? destination)
    {
        if (version == 1)
        {
            return TryGetIPPair(source, destination, out var from, out var to)
                ? WriteV1Line(output, from, to)
                : WriteV1(output, null, null);
        }

        return source is not null && destination is not null && TryGetV2Family(source, destination, out var familyTransport, out var v2From, out var v2To)
            ? WriteV2Core(output, V2Proxy, familyTransport, v2From, v2To, null, includeChecksum: false)
            : WriteV2Core(output, V2Proxy, 0x00, null, null, null, includeChecksum: false);
    }

    private static int WriteV1Line(IBufferWriter<byte> output, IPEndPoint from, IPEndPoint to)
    {
        // The longest line is 104 bytes (two full IPv6 addresses); the spare room only avoids a size computation.
        Span<byte> line = stackalloc byte[128];
        var n = 0;
        Append(line, ref n, from.AddressFamily == AddressFamily.InterNetwork ? "PROXY TCP4 "u8 : "PROXY TCP6 "u8);
        n += FormatAddress(line[n..], from.Address);
        line[n++] = (byte)' ';
        n += FormatAddress(line[n..], to.Address);
        line[n++] = (byte)' ';
        n += FormatPort(line[n..], from.Port);
        line[n++] = (byte)' ';
        n += FormatPort(line[n..], to.Port);
        Append(line, ref n, "\r\n"u8);
        output.Write(line[..n]);
        return n;
    }

    private static int WriteV2Core(
        IBufferWriter<byte> output,
        byte versionCommand,
        byte familyTransport,
        EndPoint? source,
        EndPoint? destination,
        IReadOnlyList<ProxyProtocolTlv>? tlvs,
        bool includeChecksum)
    {
        var addressLength = AddressLength(familyTransport >> 4);
        var blockLength = addressLength + (includeChecksum ? 3 + sizeof(uint) : 0);
        if (tlvs is not null)
        {
            foreach (var tlv in tlvs)
            {
                if (tlv.Type == ProxyTlvTypes.Crc32C)
                {
                    throw new ArgumentException("Ask for the CRC32c TLV (0x03) with includeChecksum; it is computed over the finished header.", nameof(tlvs));
                }

                blockLength += 3 + tlv.Value.Length;
            }
        }

        if (blockLength > ushort.MaxValue)
        {
            throw new ArgumentException($"The header's addresses and TLVs take {blockLength} bytes; version 2 allows at most {ushort.MaxValue}.", nameof(tlvs));
        }

        var total = 16 + blockLength;
        var rented = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var header = rented.AsSpan(0, total);
            V2Signature.CopyTo(header);
            header[12] = versionCommand;
            header[13] = familyTransport;
            BinaryPrimitives.WriteUInt16BigEndian(header[14..], (ushort)blockLength);
            WriteAddresses(header.Slice(16, addressLength), familyTransport >> 4, source, destination);

            var i = 16 + addressLength;
            if (tlvs is not null)
            {
                foreach (var tlv in tlvs)
                {
                    header[i] = tlv.Type;
                    BinaryPrimitives.WriteUInt16BigEndian(header[(i + 1)..], (ushort)tlv.Value.Length);
                    tlv.Value.Span.CopyTo(header[(i + 3)..]);
                    i += 3 + tlv.Value.Length;
                }
            }

            if (includeChecksum)
            {
                // Section 2.2.3: the checksum covers the whole header with its own field as zeros, big-endian.
                header[i] = ProxyTlvTypes.Crc32C;
                BinaryPrimitives.WriteUInt16BigEndian(header[(i + 1)..], sizeof(uint));
                header.Slice(i + 3, sizeof(uint)).Clear();
                BinaryPrimitives.WriteUInt32BigEndian(header[(i + 3)..], Crc32C.Compute(header));
            }

            output.Write(header);
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The address block's size for a version 2 family nibble: UNSPEC 0, INET 12, INET6 36, UNIX 216.</summary>
    public static int AddressLength(int family) => family switch
    {
        1 => 4 + 4 + 2 + 2,
        2 => 16 + 16 + 2 + 2,
        3 => UnixAddressLength * 2,
        _ => 0,
    };

    private static void WriteAddresses(Span<byte> block, int family, EndPoint? source, EndPoint? destination)
    {
        switch (family)
        {
            case 1 or 2:
                var from = (IPEndPoint)source!;
                var to = (IPEndPoint)destination!;
                var size = family == 1 ? 4 : 16;
                from.Address.TryWriteBytes(block, out _);
                to.Address.TryWriteBytes(block[size..], out _);
                BinaryPrimitives.WriteUInt16BigEndian(block[(2 * size)..], (ushort)from.Port);
                BinaryPrimitives.WriteUInt16BigEndian(block[((2 * size) + 2)..], (ushort)to.Port);
                break;
            case 3:
                WriteUnixAddress(block[..UnixAddressLength], (UnixDomainSocketEndPoint)source!);
                WriteUnixAddress(block[UnixAddressLength..], (UnixDomainSocketEndPoint)destination!);
                break;
        }
    }

    private static void WriteUnixAddress(Span<byte> field, UnixDomainSocketEndPoint endPoint)
    {
        // sun_path as the kernel has it: a NUL-terminated path, "\0name" for the abstract namespace, empty when unnamed.
        field.Clear();
        var address = endPoint.Serialize();
        var path = address.Buffer.Span[2..address.Size];
        path[..Math.Min(path.Length, field.Length)].CopyTo(field);
    }

    private static bool TryGetV2Family(EndPoint source, EndPoint destination, out byte familyTransport, out EndPoint from, out EndPoint to)
    {
        from = source;
        to = destination;
        if (TryGetIPPair(source, destination, out var ipFrom, out var ipTo))
        {
            (from, to) = (ipFrom, ipTo);
            familyTransport = ipFrom.AddressFamily == AddressFamily.InterNetwork ? (byte)0x11 : (byte)0x21;
            return true;
        }

        familyTransport = 0x31;
        return source is UnixDomainSocketEndPoint && destination is UnixDomainSocketEndPoint;
    }

    /// <summary>Two IP endpoints of one family; an IPv4-mapped IPv6 address next to an IPv4 one counts as IPv4.</summary>
    private static bool TryGetIPPair(EndPoint? source, EndPoint? destination, out IPEndPoint from, out IPEndPoint to)
    {
        from = to = null!;
        if (source is not IPEndPoint a || destination is not IPEndPoint b)
        {
            return false;
        }

        if (a.AddressFamily != b.AddressFamily)
        {
            a = a.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(a.Address.MapToIPv4(), a.Port) : a;
            b = b.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(b.Address.MapToIPv4(), b.Port) : b;
        }

        if (a.AddressFamily != b.AddressFamily || a.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return false;
        }

        (from, to) = (a, b);
        return true;
    }

    private static int FormatAddress(Span<byte> destination, IPAddress address)
    {
        // The line has no room for a zone: "fe80::1%eth0" is not in the grammar.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }

        address.TryFormat(destination, out var written);
        return written;
    }

    private static int FormatPort(Span<byte> destination, int port)
    {
        port.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }

    private static void Append(Span<byte> line, ref int n, ReadOnlySpan<byte> text)
    {
        text.CopyTo(line[n..]);
        n += text.Length;
    }
}
