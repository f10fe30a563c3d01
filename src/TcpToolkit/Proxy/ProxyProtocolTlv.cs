namespace TcpToolkit.Proxy;

/// <summary>
/// One type-length-value field of a version 2 PROXY protocol header, as it came on the wire (for a received header,
/// a copy that the header owns). The typed properties of <see cref="ProxyProtocolHeader"/> decode the registered
/// types; this is the raw form, for the others and for writing headers with
/// <see cref="ProxyProtocolHeader.WriteV2"/>.
/// </summary>
/// <remarks>
/// Registered types: 0x01 ALPN, 0x02 authority, 0x03 CRC32c, 0x04 no-op, 0x05 unique id, 0x20 SSL (with sub-TLVs
/// 0x21-0x25), 0x30 network namespace; 0xE0-0xEF are application-specific (AWS uses 0xEA, Azure 0xEE, Google Cloud
/// 0xE0), 0xF0-0xF7 experimental, 0xF8-0xFF reserved.
/// </remarks>
public readonly struct ProxyProtocolTlv
{
    /// <summary>Creates a TLV.</summary>
    /// <param name="type">The type byte.</param>
    /// <param name="value">The value: at most 65,535 bytes (the length field has two bytes).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is longer than 65,535 bytes.</exception>
    public ProxyProtocolTlv(byte type, ReadOnlyMemory<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, ushort.MaxValue, nameof(value));
        Type = type;
        Value = value;
    }

    /// <summary>Gets the type byte.</summary>
    public byte Type { get; }

    /// <summary>Gets the value (without the type and length bytes).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <inheritdoc />
    public override string ToString() => $"0x{Type:X2} ({Value.Length} bytes)";
}
