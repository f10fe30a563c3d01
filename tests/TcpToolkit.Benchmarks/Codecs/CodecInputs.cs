using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Testing;

namespace TcpToolkit.Benchmarks.Codecs;

/// <summary>Options shared by the codec benchmarks, and the inputs they decode and encode.</summary>
internal static class CodecInputs
{
    public static readonly LengthFieldCodecOptions LengthField = LengthFieldCodecOptions.UInt32BigEndian;
    public static readonly DelimiterCodecOptions Delimiter = DelimiterCodecOptions.CrLf;
    public static readonly MarkerCodecOptions Marker = new();

    public static FixedSizeCodecOptions FixedSize(int payloadSize) => new() { FrameLength = payloadSize };

    /// <summary>A payload with none of the delimiter or marker bytes in it.</summary>
    public static byte[] Payload(int size)
    {
        var payload = new byte[size];
        payload.AsSpan().Fill((byte)'a');
        return payload;
    }

    public static byte[] Encode(IFrameEncoder<ReadOnlyMemory<byte>> encoder, byte[] payload)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(payload, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// One segment, or segments of at most 4 KiB (a pipe's usual block) and at least four of them, so even a 32-byte
    /// frame has its header split across segments.
    /// </summary>
    public static ReadOnlySequence<byte> Sequence(byte[] data, bool multiSegment)
    {
        if (!multiSegment)
        {
            return new ReadOnlySequence<byte>(data);
        }

        var chunk = Math.Clamp((data.Length + 3) / 4, 1, 4096);
        var chunks = new List<ReadOnlyMemory<byte>>();
        for (var offset = 0; offset < data.Length; offset += chunk)
        {
            chunks.Add(data.AsMemory(offset, Math.Min(chunk, data.Length - offset)));
        }

        return SequenceBuilder.FromChunks(chunks);
    }
}
