using System.Buffers;
using TcpToolkit.Framing;
using TcpToolkit.Tests.Infrastructure;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

/// <summary>
/// Seeded random round trips: random frames, encoded by each codec's encoder, cut at random offsets, must decode to
/// the same frames. The seed is fixed, so a failure reproduces exactly.
/// </summary>
public sealed class CodecRoundTripTests
{
    private const int Seed = 20_261_124;
    private const int Iterations = 1_500;

    // Bytes that collide with the delimiters and markers below, so the encoders' rejection rules get exercised too.
    private static readonly byte[] Alphabet = [(byte)'a', (byte)'b', (byte)'\r', (byte)'\n', (byte)'<', (byte)'>', 0x02, 0x03, 0x00, 0xFF];

    public static TheoryData<string> Codecs() => [.. CodecCases().Keys];

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task EncodeThenDecode_RandomFramesAndSplits_SameFrames(string codec)
    {
        var (createDecoder, encoder, fixedLength, wrap) = CodecCases()[codec];
        var random = new Random(Seed);
        var rejected = 0;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var expected = new List<byte[]>();
            var output = new ArrayBufferWriter<byte>();
            var count = random.Next(0, 8);
            for (var i = 0; i < count; i++)
            {
                var payload = new byte[fixedLength ?? random.Next(0, 40)];
                for (var j = 0; j < payload.Length; j++)
                {
                    payload[j] = Alphabet[random.Next(Alphabet.Length)];
                }

                try
                {
                    encoder.Encode(payload, output);
                    expected.Add(wrap is null ? payload : Concat(wrap.Value.Start, payload, wrap.Value.End));
                }
                catch (ArgumentException)
                {
                    // The payload holds a delimiter or marker; the encoder refused it and wrote nothing.
                    rejected++;
                }
            }

            var wire = output.WrittenSpan.ToArray();
            var chunks = RandomChunks(random, wire);
            var (frames, leftover) = DecodeChunks(createDecoder(), chunks);
            AssertFrames(frames, expected, "iteration {0}, chunk sizes {1}", iteration, string.Join(",", chunks.Select(c => c.Length)));
            leftover.Should().BeEmpty();

            if (iteration % 10 == 0)
            {
                var piped = await ReadThroughPipeAsync(createDecoder(), chunks);
                AssertFrames(piped, expected, "iteration {0} through a pipe", iteration);
            }
        }

        if (fixedLength is null && codec.StartsWith("LengthField", StringComparison.Ordinal))
        {
            rejected.Should().Be(0, "a length prefix can carry any payload");
        }
    }

    private static byte[][] RandomChunks(Random random, byte[] wire)
    {
        if (wire.Length > 0 && random.Next(8) == 0)
        {
            return TestSequence.Bytewise(wire);
        }

        var cuts = Enumerable.Range(0, random.Next(0, 6))
            .Select(_ => random.Next(0, wire.Length + 1))
            .Distinct()
            .Order()
            .ToArray();
        return TestSequence.Split(wire, cuts);
    }

    // Wrap: the markers a decoder with IncludeMarkers leaves around each payload.
    private static Dictionary<string, (Func<IFrameDecoder<ReadOnlySequence<byte>>> Decoder, IFrameEncoder<ReadOnlyMemory<byte>> Encoder, int? FixedLength, (byte[] Start, byte[] End)? Wrap)> CodecCases()
    {
        var u16 = LengthFieldCodecOptions.UInt16BigEndian;
        var le3 = new LengthFieldCodecOptions { LengthFieldSize = 3, IsLittleEndian = true };
        var u64Inclusive = new LengthFieldCodecOptions { LengthFieldSize = 8, LengthAdjustment = -8 };
        var lines = new DelimiterCodecOptions { Delimiters = [Ascii("\r\n"), Ascii("\n")] };
        var lf = DelimiterCodecOptions.LineFeed;
        var fixedSize = new FixedSizeCodecOptions { FrameLength = 5 };
        var stxEtx = new MarkerCodecOptions();
        var angle = new MarkerCodecOptions { StartMarker = Ascii("<<"), EndMarker = Ascii(">>"), IncludeMarkers = true };
        return new()
        {
            ["LengthFieldUInt16BigEndian"] = (() => new LengthFieldFrameDecoder(u16), new LengthFieldFrameEncoder(u16), null, null),
            ["LengthFieldThreeByteLittleEndian"] = (() => new LengthFieldFrameDecoder(le3), new LengthFieldFrameEncoder(le3), null, null),
            ["LengthFieldUInt64CountsHeader"] = (() => new LengthFieldFrameDecoder(u64Inclusive), new LengthFieldFrameEncoder(u64Inclusive), null, null),
            ["DelimiterLineFeed"] = (() => new DelimiterFrameDecoder(lf), new DelimiterFrameEncoder(lf), null, null),
            ["DelimiterCrLfOrLf"] = (() => new DelimiterFrameDecoder(lines), new DelimiterFrameEncoder(lines), null, null),
            ["FixedSize"] = (() => new FixedSizeFrameDecoder(fixedSize), new FixedSizeFrameEncoder(fixedSize), 5, null),
            ["MarkerStxEtx"] = (() => new MarkerFrameDecoder(stxEtx), new MarkerFrameEncoder(stxEtx), null, null),
            ["MarkerMultiByteIncluded"] = (() => new MarkerFrameDecoder(angle), new MarkerFrameEncoder(angle), null, (Ascii("<<"), Ascii(">>"))),
        };
    }
}
