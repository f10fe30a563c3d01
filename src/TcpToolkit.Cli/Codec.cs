using System.Buffers;
using System.Buffers.Binary;
using TcpToolkit.Framing;

namespace TcpToolkit.Cli;

/// <summary>The wire formats tcptk speaks.</summary>
internal enum Codec
{
    /// <summary>Bytes as they come, no frames.</summary>
    Raw,

    /// <summary>A 2-byte big-endian payload length, then the payload.</summary>
    Length16,

    /// <summary>A 4-byte big-endian payload length, then the payload.</summary>
    Length32,

    /// <summary>The payload, then a line feed.</summary>
    Line,
}

/// <summary>Names, decoders and encoders for <see cref="Codec"/>.</summary>
internal static class Codecs
{
    /// <summary>The names accepted on the command line, in <see cref="Codec"/> order.</summary>
    public static readonly string[] Names = ["raw", "length16", "length32", "line"];

    public static Codec Parse(string name) => name switch
    {
        "raw" => Codec.Raw,
        "length16" => Codec.Length16,
        "length32" => Codec.Length32,
        "line" => Codec.Line,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Expected raw, length16, length32 or line."),
    };

    public static string Name(Codec codec) => Names[(int)codec];

    /// <summary>Creates a decoder for a framed codec (one per connection).</summary>
    public static IFrameDecoder<ReadOnlySequence<byte>> CreateDecoder(Codec codec) => codec switch
    {
        Codec.Length16 => new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt16BigEndian),
        Codec.Length32 => new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt32BigEndian),
        Codec.Line => new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Raw has no frames."),
    };

    /// <summary>Creates an encoder for a framed codec.</summary>
    public static IFrameEncoder<ReadOnlySequence<byte>> CreateEncoder(Codec codec) => codec switch
    {
        Codec.Length16 => new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt16BigEndian),
        Codec.Length32 => new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt32BigEndian),
        Codec.Line => new DelimiterFrameEncoder(DelimiterCodecOptions.LineFeed),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Raw has no frames."),
    };

    /// <summary>
    /// Writes one message as it goes on the wire (header, payload, trailer) into <paramref name="destination"/>,
    /// which must be exactly <see cref="WireLength"/> long. The load generator precomputes its messages with this.
    /// </summary>
    public static void EncodeWire(Codec codec, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        switch (codec)
        {
            case Codec.Raw:
                payload.CopyTo(destination);
                break;
            case Codec.Length16:
                BinaryPrimitives.WriteUInt16BigEndian(destination, checked((ushort)payload.Length));
                payload.CopyTo(destination[2..]);
                break;
            case Codec.Length32:
                BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payload.Length);
                payload.CopyTo(destination[4..]);
                break;
            case Codec.Line:
                payload.CopyTo(destination);
                destination[payload.Length] = (byte)'\n';
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, null);
        }
    }

    /// <summary>The length on the wire of a message with a <paramref name="payloadLength"/>-byte payload.</summary>
    public static int WireLength(Codec codec, int payloadLength) => codec switch
    {
        Codec.Raw => payloadLength,
        Codec.Length16 => payloadLength + 2,
        Codec.Length32 => payloadLength + 4,
        Codec.Line => payloadLength + 1,
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, null),
    };
}
