using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Proxy.Internal;

/// <summary>
/// Parses a PROXY protocol header (version 1 or 2) at the start of a connection's bytes: pure, synchronous, no I/O,
/// in the shape of Bedrock's message readers. The version is told from the first bytes only (the v2 signature
/// starts with CR, the v1 line with <c>P</c>); anything else is <see cref="ProxyProtocolError.MissingHeader"/>, never
/// "no header, carry on". Only the header is consumed: the bytes after it stay for the next layer.
/// </summary>
internal static partial class ProxyHeaderParser
{
    /// <summary>The longest version 1 line, CRLF included (section 2.1: <c>PROXY UNKNOWN</c> with two full IPv6 addresses).</summary>
    public const int V1MaxLength = 107;

    /// <summary>The version 2 fixed part: signature, version and command, family and transport, length.</summary>
    public const int V2FixedLength = 16;

    /// <summary>An endpoint whose <see cref="EndPoint.Create"/> turns a <c>sun_path</c> into a Unix domain socket endpoint.</summary>
    private static readonly UnixDomainSocketEndPoint UnixTemplate = new("/");

    /// <summary>
    /// Tries to parse a header at the start of <paramref name="input"/>. On <see cref="ProxyParseStatus.Parsed"/>,
    /// <paramref name="consumed"/> and <paramref name="examined"/> are the header's end; on
    /// <see cref="ProxyParseStatus.NeedMoreData"/> nothing is consumed and everything is examined (the reader waits
    /// for more instead of spinning); on an error nothing is consumed.
    /// </summary>
    /// <param name="input">The connection's first bytes, in any number of segments.</param>
    /// <param name="maxHeaderSize">The largest version 2 header accepted (16 + its length field).</param>
    /// <param name="consumed">Where the header ends, when parsed.</param>
    /// <param name="examined">How far the parser looked.</param>
    /// <param name="header">The header, when parsed.</param>
    public static ProxyParseResult TryParse(
        in ReadOnlySequence<byte> input,
        int maxHeaderSize,
        out SequencePosition consumed,
        out SequencePosition examined,
        out ProxyProtocolHeader? header)
    {
        consumed = input.Start;
        examined = input.End;
        header = null;
        if (input.IsEmpty)
        {
            return ProxyParseResult.NeedMoreData;
        }

        Span<byte> first = stackalloc byte[12];
        first = first[..(int)Math.Min(input.Length, first.Length)];
        input.Slice(0, first.Length).CopyTo(first);

        ProxyParseResult result;
        int length;
        if (ProxyHeaderWriter.V2Signature.StartsWith(first))
        {
            result = ParseV2(input, maxHeaderSize, out header, out length);
        }
        else if ("PROXY"u8.StartsWith(first) || first.StartsWith("PROXY"u8))
        {
            result = ParseV1(input, out header, out length);
        }
        else
        {
            result = ProxyParseResult.Fail(
                ProxyProtocolError.MissingHeader,
                $"The connection does not start with a PROXY protocol header (first byte 0x{first[0]:X2}); the header is required on this endpoint.");
            length = 0;
        }

        if (result.Status == ProxyParseStatus.Parsed)
        {
            consumed = examined = input.GetPosition(length);
        }
        else if (result.Status == ProxyParseStatus.Error)
        {
            examined = input.Start;
        }

        return result;
    }

    private static ProxyParseResult ParseV2(in ReadOnlySequence<byte> input, int maxHeaderSize, out ProxyProtocolHeader? header, out int length)
    {
        header = null;
        length = 0;
        if (input.Length < V2FixedLength)
        {
            return ProxyParseResult.NeedMoreData;
        }

        Span<byte> fixedPart = stackalloc byte[V2FixedLength];
        input.Slice(0, V2FixedLength).CopyTo(fixedPart);
        var version = fixedPart[12] >> 4;
        var command = fixedPart[12] & 0x0F;
        var family = fixedPart[13] >> 4;
        var transport = fixedPart[13] & 0x0F;
        var blockLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
        if (version != 2)
        {
            return ProxyParseResult.Fail(ProxyProtocolError.UnsupportedVersion, $"The version 2 signature is followed by version {version}; only 2 is defined.");
        }

        if (command > 1)
        {
            return ProxyParseResult.Fail(ProxyProtocolError.Malformed, $"Command 0x{command:X} is unassigned (0 LOCAL, 1 PROXY).");
        }

        if (family > 3)
        {
            return ProxyParseResult.Fail(ProxyProtocolError.Malformed, $"Address family 0x{family:X} is unassigned (0 UNSPEC, 1 INET, 2 INET6, 3 UNIX).");
        }

        if (transport > 2)
        {
            return ProxyParseResult.Fail(ProxyProtocolError.Malformed, $"Transport 0x{transport:X} is unassigned (0 UNSPEC, 1 STREAM, 2 DGRAM).");
        }

        var total = V2FixedLength + blockLength;
        if (total > maxHeaderSize)
        {
            return ProxyParseResult.Fail(ProxyProtocolError.TooLarge, $"The header announces {total} bytes; at most {maxHeaderSize} are accepted (MaxHeaderSize).");
        }

        if (input.Length < total)
        {
            return ProxyParseResult.NeedMoreData;
        }

        // One copy of the block: the addresses are read from it and the TLVs' values are slices of it.
        var block = blockLength == 0 ? [] : new byte[blockLength];
        input.Slice(V2FixedLength, blockLength).CopyTo(block);

        var isLocal = command == 0;
        var addressLength = ProxyHeaderWriter.AddressLength(family);
        var tlvStart = addressLength;
        if (blockLength < addressLength)
        {
            if (!isLocal)
            {
                return ProxyParseResult.Fail(
                    ProxyProtocolError.Malformed,
                    $"The address block has {blockLength} bytes; family 0x{family:X} needs {addressLength}.");
            }

            // LOCAL: the receiver ignores the block (and the family); a sender that sets a family without
            // addresses is sloppy, not wrong.
            tlvStart = blockLength;
        }

        EndPoint? source = null;
        EndPoint? destination = null;
        if (!isLocal && family != 0 && transport != 0)
        {
            ReadAddresses(block, family, out source, out destination);
        }

        var tlvs = new List<ProxyProtocolTlv>();
        var problem = ReadTlvs(block, tlvStart, tlvs, out var checksumAt);
        if (problem is not null)
        {
            return ProxyParseResult.Fail(ProxyProtocolError.Malformed, problem);
        }

        if (checksumAt >= 0)
        {
            var expected = BinaryPrimitives.ReadUInt32BigEndian(block.AsSpan(checksumAt));
            var crc = Crc32C.Append(Crc32C.Seed, fixedPart);
            crc = Crc32C.Append(crc, block.AsSpan(0, checksumAt));
            crc = Crc32C.Append(crc, [0, 0, 0, 0]);
            crc = Crc32C.Append(crc, block.AsSpan(checksumAt + sizeof(uint)));
            var actual = Crc32C.Finish(crc);
            if (actual != expected)
            {
                return ProxyParseResult.Fail(
                    ProxyProtocolError.ChecksumMismatch,
                    $"The CRC32c TLV says 0x{expected:X8}; the header's checksum is 0x{actual:X8}.");
            }
        }

        var decoded = ProxyTlvSet.Decode(tlvs, out problem);
        if (decoded is null)
        {
            return ProxyParseResult.Fail(ProxyProtocolError.Malformed, problem!);
        }

        length = total;
        header = new ProxyProtocolHeader(
            version: 2,
            isLocal,
            family switch
            {
                1 => AddressFamily.InterNetwork,
                2 => AddressFamily.InterNetworkV6,
                3 => AddressFamily.Unix,
                _ => AddressFamily.Unspecified,
            },
            transport switch
            {
                1 => SocketType.Stream,
                2 => SocketType.Dgram,
                _ => SocketType.Unknown,
            },
            source,
            destination,
            total,
            tlvs.Count == 0 ? [] : tlvs.AsReadOnly(),
            decoded);
        return ProxyParseResult.Parsed;
    }

    private static void ReadAddresses(byte[] block, int family, out EndPoint source, out EndPoint destination)
    {
        if (family == 3)
        {
            source = ReadUnixAddress(block.AsSpan(0, 108));
            destination = ReadUnixAddress(block.AsSpan(108, 108));
            return;
        }

        var size = family == 1 ? 4 : 16;
        var span = block.AsSpan();
        source = new IPEndPoint(new IPAddress(span[..size]), BinaryPrimitives.ReadUInt16BigEndian(span[(2 * size)..]));
        destination = new IPEndPoint(new IPAddress(span.Slice(size, size)), BinaryPrimitives.ReadUInt16BigEndian(span[((2 * size) + 2)..]));
    }

    /// <summary>
    /// A 108-byte <c>sun_path</c>: a NUL-terminated path, an abstract name (a leading NUL; the name's end is where the
    /// zero padding starts), or all zeros for an unnamed socket.
    /// </summary>
    private static UnixDomainSocketEndPoint ReadUnixAddress(ReadOnlySpan<byte> field)
    {
        int length;
        if (field[0] != 0)
        {
            var end = field.IndexOf((byte)0);
            length = end < 0 ? field.Length : end;
        }
        else
        {
            length = field.LastIndexOfAnyExcept((byte)0) + 1;
        }

        // Through a SocketAddress, as the socket layer builds them: the public constructor refuses an empty path
        // (an unnamed peer) and a path that fills all 108 bytes.
        var address = new SocketAddress(AddressFamily.Unix, 2 + length);
        field[..length].CopyTo(address.Buffer.Span[2..]);
        return (UnixDomainSocketEndPoint)UnixTemplate.Create(address);
    }

    private static string? ReadTlvs(byte[] block, int start, List<ProxyProtocolTlv> tlvs, out int checksumAt)
    {
        checksumAt = -1;
        var i = start;
        while (i < block.Length)
        {
            if (block.Length - i < 3)
            {
                return $"A TLV header at byte {V2FixedLength + i} runs past the end of the header ({V2FixedLength + block.Length} bytes).";
            }

            var type = block[i];
            var length = BinaryPrimitives.ReadUInt16BigEndian(block.AsSpan(i + 1));
            if (length > block.Length - i - 3)
            {
                return $"The TLV 0x{type:X2} at byte {V2FixedLength + i} announces {length} bytes; only {block.Length - i - 3} remain in the header.";
            }

            if (type == ProxyTlvTypes.Crc32C)
            {
                if (length != sizeof(uint))
                {
                    return $"The CRC32c TLV (0x03) has {length} bytes, not 4.";
                }

                if (checksumAt >= 0)
                {
                    return "The header has two CRC32c TLVs (0x03).";
                }

                checksumAt = i + 3;
            }

            tlvs.Add(new ProxyProtocolTlv(type, block.AsMemory(i + 3, length)));
            i += 3 + length;
        }

        return null;
    }
}
