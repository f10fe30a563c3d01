using System.Buffers.Binary;
using System.Text;

namespace TcpToolkit.Proxy.Internal;

/// <summary>
/// The registered TLVs of a header, decoded. The first TLV of a type wins. Registered types with a wrong shape (an SSL
/// TLV shorter than its fixed part, a sub-TLV past its parent, a unique id over 128 bytes) make the header malformed;
/// the application-specific range (0xE0-0xEF) is decoded only when it has the provider's shape, since another
/// vendor may use the same type.
/// </summary>
internal sealed class ProxyTlvSet
{
    public static readonly ProxyTlvSet Empty = new();

    public string? Alpn { get; private set; }

    public string? Authority { get; private set; }

    public ReadOnlyMemory<byte> UniqueId { get; private set; }

    public byte? SslClientFlags { get; private set; }

    public uint? SslVerify { get; private set; }

    public string? SslVersion { get; private set; }

    public string? SslCommonName { get; private set; }

    public string? SslCipher { get; private set; }

    public string? SslSignatureAlgorithm { get; private set; }

    public string? SslKeyAlgorithm { get; private set; }

    public string? NetworkNamespace { get; private set; }

    public string? AwsVpcEndpointId { get; private set; }

    public uint? AzurePrivateLinkId { get; private set; }

    public ulong? GcpPscConnectionId { get; private set; }

    /// <summary>Decodes <paramref name="tlvs"/>; returns <see langword="null"/> and the problem when one is malformed.</summary>
    public static ProxyTlvSet? Decode(IReadOnlyList<ProxyProtocolTlv> tlvs, out string? problem)
    {
        problem = null;
        if (tlvs.Count == 0)
        {
            return Empty;
        }

        var set = new ProxyTlvSet();
        var uniqueIdSeen = false;
        foreach (var tlv in tlvs)
        {
            var value = tlv.Value.Span;
            switch (tlv.Type)
            {
                case ProxyTlvTypes.Alpn:
                    set.Alpn ??= Text(value);
                    break;
                case ProxyTlvTypes.Authority:
                    set.Authority ??= Text(value);
                    break;
                case ProxyTlvTypes.UniqueId:
                    if (value.Length > ProxyTlvTypes.MaxUniqueIdLength)
                    {
                        problem = $"The unique id TLV (0x05) has {value.Length} bytes; the specification allows at most {ProxyTlvTypes.MaxUniqueIdLength}.";
                        return null;
                    }

                    if (!uniqueIdSeen)
                    {
                        uniqueIdSeen = true;
                        set.UniqueId = tlv.Value;
                    }

                    break;
                case ProxyTlvTypes.Ssl:
                    if (!set.DecodeSsl(value, out problem))
                    {
                        return null;
                    }

                    break;
                case ProxyTlvTypes.NetworkNamespace:
                    set.NetworkNamespace ??= Text(value);
                    break;
                case ProxyTlvTypes.Aws when value.Length >= 1 && value[0] == ProxyTlvTypes.CloudIdSubtype:
                    set.AwsVpcEndpointId ??= Text(value[1..]);
                    break;
                case ProxyTlvTypes.Azure when value.Length == 5 && value[0] == ProxyTlvTypes.CloudIdSubtype:
                    set.AzurePrivateLinkId ??= BinaryPrimitives.ReadUInt32LittleEndian(value[1..]);
                    break;
                case ProxyTlvTypes.Gcp when value.Length == sizeof(ulong):
                    set.GcpPscConnectionId ??= BinaryPrimitives.ReadUInt64BigEndian(value);
                    break;
            }
        }

        return set;
    }

    private static string Text(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value);

    private bool DecodeSsl(ReadOnlySpan<byte> value, out string? problem)
    {
        problem = null;
        if (value.Length < ProxyTlvTypes.SslFixedLength)
        {
            problem = $"The SSL TLV (0x20) has {value.Length} bytes; it needs at least {ProxyTlvTypes.SslFixedLength} (client flags and verify).";
            return false;
        }

        // The sub-TLVs are checked even in a second SSL TLV; only the first one's values are kept.
        var first = SslClientFlags is null;
        if (first)
        {
            SslClientFlags = value[0];
            SslVerify = BinaryPrimitives.ReadUInt32BigEndian(value[1..]);
        }

        var i = ProxyTlvTypes.SslFixedLength;
        while (i < value.Length)
        {
            if (value.Length - i < 3)
            {
                problem = $"An SSL sub-TLV header at byte {i} of the SSL TLV runs past its end ({value.Length} bytes).";
                return false;
            }

            var type = value[i];
            var length = BinaryPrimitives.ReadUInt16BigEndian(value[(i + 1)..]);
            if (length > value.Length - i - 3)
            {
                problem = $"The SSL sub-TLV 0x{type:X2} announces {length} bytes; only {value.Length - i - 3} remain in the SSL TLV.";
                return false;
            }

            if (first)
            {
                var sub = value.Slice(i + 3, length);
                switch (type)
                {
                    case ProxyTlvTypes.SslVersion:
                        SslVersion ??= Text(sub);
                        break;
                    case ProxyTlvTypes.SslCommonName:
                        SslCommonName ??= Text(sub);
                        break;
                    case ProxyTlvTypes.SslCipher:
                        SslCipher ??= Text(sub);
                        break;
                    case ProxyTlvTypes.SslSignatureAlgorithm:
                        SslSignatureAlgorithm ??= Text(sub);
                        break;
                    case ProxyTlvTypes.SslKeyAlgorithm:
                        SslKeyAlgorithm ??= Text(sub);
                        break;
                }
            }

            i += 3 + length;
        }

        return true;
    }
}
