namespace TcpToolkit.Cli.Bench;

/// <summary>
/// The load generator's messages, precomputed once as they go on the wire (header, payload, trailer), so sending is
/// a copy and checking an echo is a compare. Payloads are printable pseudo-random bytes (never a line feed), and
/// consecutive messages differ (up to 256 variants), so a reordered, dropped or corrupted echo cannot match.
/// </summary>
internal sealed class MessageSet
{
    // Up to 8 MiB of precomputed messages, so 16 KiB payloads still get 256 variants.
    private const int MaxBytes = 8 * 1024 * 1024;

    private readonly byte[] _wire;

    public MessageSet(Codec codec, int payloadSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(payloadSize);
        WireLength = Codecs.WireLength(codec, payloadSize);
        Count = Math.Clamp(MaxBytes / WireLength, 1, 256);
        var payloads = new byte[payloadSize + Count];

        // xorshift32: deterministic, so every run sends the same bytes.
        var x = 2463534242u;
        for (var i = 0; i < payloads.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            payloads[i] = (byte)('!' + (x % 94));
        }

        _wire = new byte[Count * WireLength];
        for (var k = 0; k < Count; k++)
        {
            Codecs.EncodeWire(codec, payloads.AsSpan(k, payloadSize), _wire.AsSpan(k * WireLength, WireLength));
        }
    }

    /// <summary>Gets the length of one message on the wire.</summary>
    public int WireLength { get; }

    /// <summary>Gets the number of distinct messages.</summary>
    public int Count { get; }

    /// <summary>The wire bytes of the <paramref name="index"/>-th message of a connection.</summary>
    public ReadOnlySpan<byte> Message(long index) => _wire.AsSpan((int)(index % Count) * WireLength, WireLength);
}
