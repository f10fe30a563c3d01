namespace TcpToolkit.Proxy.Internal;

/// <summary>The TLV types of the specification (section 2.2) and the cloud providers' application-specific ones.</summary>
internal static class ProxyTlvTypes
{
    public const byte Alpn = 0x01;
    public const byte Authority = 0x02;
    public const byte Crc32C = 0x03;
    public const byte Noop = 0x04;
    public const byte UniqueId = 0x05;
    public const byte Ssl = 0x20;
    public const byte SslVersion = 0x21;
    public const byte SslCommonName = 0x22;
    public const byte SslCipher = 0x23;
    public const byte SslSignatureAlgorithm = 0x24;
    public const byte SslKeyAlgorithm = 0x25;
    public const byte NetworkNamespace = 0x30;

    /// <summary>Google Cloud Private Service Connect: the connection id, a big-endian 64-bit number.</summary>
    public const byte Gcp = 0xE0;

    /// <summary>AWS: subtype 0x01 is the VPC endpoint id (US-ASCII).</summary>
    public const byte Aws = 0xEA;

    /// <summary>Azure: subtype 0x01 is the Private Link service's LINKID, a little-endian 32-bit number.</summary>
    public const byte Azure = 0xEE;

    /// <summary>The subtype byte that starts AWS's and Azure's values for the ids above.</summary>
    public const byte CloudIdSubtype = 0x01;

    /// <summary>The specification's bound on a unique id.</summary>
    public const int MaxUniqueIdLength = 128;

    /// <summary>The SSL TLV's fixed part: the client flags byte and the 32-bit verify result.</summary>
    public const int SslFixedLength = 5;
}
