using System.Buffers;
using System.Globalization;
using System.Text;
using TcpToolkit.Proxy;
using TcpToolkit.Proxy.Internal;
using TcpToolkit.Tests.Infrastructure;

namespace TcpToolkit.Tests.Proxy;

/// <summary>Runs the parser over a sequence and describes what it found, so chunkings can be compared as strings.</summary>
internal static class ParseHarness
{
    public const int DefaultMax = 4096;

    public static ParseOutcome Parse(ReadOnlySequence<byte> input, int maxHeaderSize = DefaultMax)
    {
        var result = ProxyHeaderParser.TryParse(input, maxHeaderSize, out var consumed, out var examined, out var header);
        return new ParseOutcome(
            result,
            header,
            input.Slice(input.Start, consumed).Length,
            input.Slice(input.Start, examined).Length);
    }

    public static ParseOutcome Parse(byte[] data, int maxHeaderSize = DefaultMax) => Parse(new ReadOnlySequence<byte>(data), maxHeaderSize);

    public static ParseOutcome Parse(byte[][] chunks, int maxHeaderSize = DefaultMax) => Parse(TestSequence.FromChunks(chunks), maxHeaderSize);

    /// <summary>Whole, one segment per byte, and split into two segments at every offset.</summary>
    public static IEnumerable<(string Name, byte[][] Chunks)> Chunkings(byte[] data)
    {
        yield return ("whole", [data]);
        yield return ("bytewise", TestSequence.Bytewise(data));
        for (var i = 1; i < data.Length; i++)
        {
            yield return ($"split at {i}", TestSequence.Split(data, i));
        }
    }

    /// <summary>Every field of a header, TLV bytes included, in one string.</summary>
    public static string Describe(ProxyProtocolHeader header)
    {
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"v{header.Version} local={header.IsLocal} {header.AddressFamily}/{header.SocketType} ")
            .Append(CultureInfo.InvariantCulture, $"{header.SourceEndPoint?.ToString() ?? "-"} -> {header.DestinationEndPoint?.ToString() ?? "-"} length={header.Length}")
            .Append(CultureInfo.InvariantCulture, $" alpn={header.Alpn} authority={header.Authority} unique={Convert.ToHexString(header.UniqueId.Span)}")
            .Append(CultureInfo.InvariantCulture, $" ssl={header.SslClientFlags}/{header.SslVerify}/{header.SslVersion}/{header.SslCommonName}/{header.SslCipher}/{header.SslSignatureAlgorithm}/{header.SslKeyAlgorithm}")
            .Append(CultureInfo.InvariantCulture, $" netns={header.NetworkNamespace} aws={header.AwsVpcEndpointId} azure={header.AzurePrivateLinkId} gcp={header.GcpPscConnectionId}");
        foreach (var tlv in header.Tlvs)
        {
            text.Append(CultureInfo.InvariantCulture, $" [{tlv.Type:X2}:{Convert.ToHexString(tlv.Value.Span)}]");
        }

        return text.ToString();
    }
}

/// <summary>One parse: the result, the header, and how far the parser consumed and examined (in bytes from the start).</summary>
internal sealed record ParseOutcome(ProxyParseResult Result, ProxyProtocolHeader? Header, long Consumed, long Examined)
{
    public ProxyParseStatus Status => Result.Status;

    public ProxyProtocolError Error => Result.Error;

    public string Describe() => Status switch
    {
        ProxyParseStatus.Parsed => $"parsed consumed={Consumed} examined={Examined} " + ParseHarness.Describe(Header!),
        ProxyParseStatus.Error => $"error {Error}: {Result.Message}",
        _ => $"need more examined={Examined}",
    };
}
