using System.Buffers;
using System.Buffers.Binary;
using TcpToolkit.Framing;

namespace TcpToolkit.Fuzz;

internal static partial class FuzzTargets
{
    // Options are made inside delegates (see FuzzTarget's remarks): their setters are instrumented library code.
    static partial void AddFramingTargets(List<FuzzTarget> targets)
    {
        targets.Add(LengthField("length-u8", "1-byte length, max frame 200", 1, () => new() { LengthFieldSize = 1, MaxFrameLength = 200 }));
        targets.Add(LengthField("length-u16be", "2-byte big-endian length, max frame 512", 2, () => new() { LengthFieldSize = 2, MaxFrameLength = 512 }));
        targets.Add(LengthField(
            "length-u24le",
            "3-byte little-endian length, max frame 4096",
            3,
            () => new() { LengthFieldSize = 3, IsLittleEndian = true, MaxFrameLength = 4096 }));
        targets.Add(LengthField("length-u32be", "4-byte big-endian length, max frame 1024", 4, () => new() { LengthFieldSize = 4, MaxFrameLength = 1024 }));
        targets.Add(LengthField(
            "length-u32be-adjusted",
            "4-byte big-endian length that counts itself (adjustment -4), max frame 1024",
            4,
            () => new() { LengthFieldSize = 4, LengthAdjustment = -4, MaxFrameLength = 1024 }));
        targets.Add(LengthU64AdjustedStripped());

        targets.Add(Delimiter(
            "delimiter-lf",
            "LF lines, delimiter stripped, max 256, throw on a long line",
            () => new() { MaxFrameLength = 256 }));
        targets.Add(Delimiter(
            "delimiter-crlf-discard",
            "CRLF lines, delimiter kept, max 256, discard long lines",
            () => new()
            {
                Delimiters = [new byte[] { (byte)'\r', (byte)'\n' }],
                IncludeDelimiter = true,
                MaxFrameLength = 256,
                RecoveryPolicy = FrameRecoveryPolicy.Discard,
            },
            canThrow: false));
        targets.Add(Delimiter(
            "delimiter-multi",
            "delimiters CRLF, LF, NUL and '|||', stripped, max 128, throw",
            () => new() { Delimiters = [new byte[] { (byte)'\r', (byte)'\n' }, new byte[] { (byte)'\n' }, new byte[] { 0 }, "|||"u8.ToArray()], MaxFrameLength = 128 }));

        targets.Add(Fixed());
        targets.Add(Markers(
            "markers",
            "start '~~', end '~.' (they share a byte), markers stripped, max 128, throw",
            () => new() { StartMarker = "~~"u8.ToArray(), EndMarker = "~."u8.ToArray(), MaxFrameLength = 128 }));
        targets.Add(Markers(
            "markers-discard",
            "STX/ETX, markers kept, max 64, discard garbage and long frames",
            () => new() { IncludeMarkers = true, MaxFrameLength = 64, RecoveryPolicy = FrameRecoveryPolicy.Discard },
            canThrow: false));
    }

    private static void AddSequence(ReadOnlySequence<byte> frame, FrameDigest digest) => digest.Add(frame);

    /// <summary>A length-field codec the encoder can write: the field first, the payload after it.</summary>
    private static FuzzTarget<ReadOnlySequence<byte>> LengthField(string name, string description, int fieldSize, Func<LengthFieldCodecOptions> options) => new(
        name,
        description,
        () => new LengthFieldFrameDecoder(options()),
        AddSequence,
        random =>
        {
            LengthFieldCodecOptions codec = options();
            var encoder = new LengthFieldFrameEncoder(codec);
            int maxPayload = Math.Min(codec.MaxFrameLength - fieldSize, 96);
            return EncodeFrames<ReadOnlyMemory<byte>>(
                encoder.Encode,
                random.Next(1, 5),
                _ => RandomPayload(random, maxPayload),
                lengthFieldOffset: 0,
                lengthFieldSize: fieldSize);
        },
        () =>
        {
            LengthFieldCodecOptions codec = options();
            int max = codec.MaxFrameLength;
            return
            [
                Case("empty-payload", LengthHeader(codec, 0)),
                Case("partial-header", LengthHeader(codec, 1)[..(fieldSize - 1)]),
                Case("all-ones", Enumerable.Repeat((byte)0xFF, fieldSize + 4).ToArray()),
                Case("at-max-header-only", LengthHeader(codec, max - fieldSize)),
                Case("over-max", LengthHeader(codec, max - fieldSize + 1)),
                Case("two-frames", [.. LengthHeader(codec, 1), 0x41, .. LengthHeader(codec, 2), 0x42, 0x43]),
            ];
        });

    /// <summary>The header of a frame whose payload is <paramref name="payloadLength"/> bytes, as <paramref name="codec"/> reads it.</summary>
    private static byte[] LengthHeader(LengthFieldCodecOptions codec, long payloadLength)
    {
        ulong value = (ulong)Math.Max(0, payloadLength - codec.LengthAdjustment);
        var field = new byte[codec.LengthFieldSize];
        for (int i = 0; i < field.Length; i++)
        {
            int shift = 8 * (codec.IsLittleEndian ? i : field.Length - 1 - i);
            field[i] = (byte)(value >> shift);
        }

        return field;
    }

    /// <summary>
    /// A netty-style header the encoder cannot write: a 2-byte prefix, then an 8-byte big-endian length counting the
    /// whole frame (adjustment -10); the first 12 bytes (prefix, field and a 2-byte tag) are stripped.
    /// </summary>
    private static FuzzTarget<ReadOnlySequence<byte>> LengthU64AdjustedStripped()
    {
        const int Prefix = 2;
        const int Header = Prefix + sizeof(ulong);
        const int Strip = Header + 2;
        const int Max = 1024;

        static byte[] Frame(ReadOnlySpan<byte> prefix, ulong announced, ReadOnlySpan<byte> body)
        {
            var frame = new byte[Header + body.Length];
            prefix.CopyTo(frame);
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(Prefix), announced);
            body.CopyTo(frame.AsSpan(Header));
            return frame;
        }

        return new(
            "length-u64-adjusted-stripped",
            $"2-byte prefix, 8-byte big-endian length of the whole frame (adjustment -{Header}), {Strip} bytes stripped, max frame {Max}",
            () => new LengthFieldFrameDecoder(new LengthFieldCodecOptions
            {
                LengthFieldOffset = Prefix,
                LengthFieldSize = sizeof(ulong),
                LengthAdjustment = -Header,
                InitialBytesToStrip = Strip,
                MaxFrameLength = Max,
            }),
            AddSequence,
            random =>
            {
                var bytes = new List<byte>();
                var lengthFields = new List<(int Offset, int Size)>();
                int count = random.Next(1, 5);
                for (int i = 0; i < count; i++)
                {
                    byte[] body = [(byte)random.Next(256), (byte)random.Next(256), .. RandomPayload(random, 80)];
                    lengthFields.Add((bytes.Count + Prefix, sizeof(ulong)));
                    bytes.AddRange(Frame([0xCA, (byte)i], (ulong)(Header + body.Length), body));
                }

                return new ValidInput([.. bytes], count, lengthFields);
            },
            () =>
            [
                Case("tag-only", Frame([0, 0], Strip, [1, 2])),
                Case("shorter-than-strip", Frame([0, 0], Header + 1, [1])),
                Case("shorter-than-header", Frame([0, 0], 3, [])),
                Case("zero", Frame([0, 0], 0, [])),
                Case("over-max", Frame([0, 0], Max + 1, [])),
                Case("beyond-int", Frame([0, 0], (ulong)int.MaxValue + 1, [])),
                Case("all-ones", Frame([0xFF, 0xFF], ulong.MaxValue, [0xFF])),
            ]);
    }

    private static FuzzTarget<ReadOnlySequence<byte>> Delimiter(string name, string description, Func<DelimiterCodecOptions> options, bool canThrow = true) => new(
        name,
        description,
        () => new DelimiterFrameDecoder(options()),
        AddSequence,
        random =>
        {
            DelimiterCodecOptions codec = options();
            var encoder = new DelimiterFrameEncoder(codec);
            byte[] reserved = codec.Delimiters.SelectMany(d => d.ToArray()).Distinct().ToArray();
            return EncodeFrames<ReadOnlyMemory<byte>>(
                encoder.Encode,
                random.Next(1, 6),
                _ => PayloadWithout(RandomPayload(random, 48), reserved),
                lengthFieldOffset: 0,
                lengthFieldSize: 0);
        },
        () =>
        {
            DelimiterCodecOptions codec = options();
            byte[] first = codec.Delimiters[0].ToArray();
            byte[] last = codec.Delimiters[^1].ToArray();
            byte[] line = "a line"u8.ToArray();
            return
            [
                Case("empty-lines", [.. first, .. first, .. last]),
                Case("partial-delimiter", [.. line, .. first[..^1]]),
                Case("at-max", [.. Enumerable.Repeat((byte)'x', codec.MaxFrameLength), .. first]),
                Case("over-max-then-line", [.. Enumerable.Repeat((byte)'x', codec.MaxFrameLength + 1), .. first, .. line, .. last]),
                Case("unterminated-over-max", Enumerable.Repeat((byte)'y', codec.MaxFrameLength + 8).ToArray()),
                Case("bare-cr", "one\rtwo\r\r\n"),
            ];
        })
        {
            CanThrow = canThrow,
        };

    private static FuzzTarget<ReadOnlySequence<byte>> Fixed() => new(
        "fixed",
        "fixed 7-byte frames",
        () => new FixedSizeFrameDecoder(new FixedSizeCodecOptions { FrameLength = 7, MaxFrameLength = 64 }),
        AddSequence,
        random =>
        {
            var encoder = new FixedSizeFrameEncoder(new FixedSizeCodecOptions { FrameLength = 7, MaxFrameLength = 64 });
            return EncodeFrames<ReadOnlyMemory<byte>>(
                encoder.Encode,
                random.Next(1, 6),
                _ => RandomPayload(random, 7) is var p && p.Length == 7 ? p : [.. p, .. new byte[7 - p.Length]],
                lengthFieldOffset: 0,
                lengthFieldSize: 0);
        },
        () =>
        [
            Case("one", "1234567"),
            Case("one-and-a-half", "1234567abc"),
            Case("short", "123"),
        ])
        {
            CanThrow = false,
        };

    private static FuzzTarget<ReadOnlySequence<byte>> Markers(string name, string description, Func<MarkerCodecOptions> options, bool canThrow = true) => new(
        name,
        description,
        () => new MarkerFrameDecoder(options()),
        AddSequence,
        random =>
        {
            MarkerCodecOptions codec = options();
            var encoder = new MarkerFrameEncoder(codec);
            byte[] reserved = [.. codec.StartMarker.ToArray(), .. codec.EndMarker.ToArray()];
            return EncodeFrames<ReadOnlyMemory<byte>>(
                encoder.Encode,
                random.Next(1, 5),
                _ => PayloadWithout(RandomPayload(random, 40), reserved),
                lengthFieldOffset: 0,
                lengthFieldSize: 0);
        },
        () =>
        {
            MarkerCodecOptions codec = options();
            byte[] start = codec.StartMarker.ToArray();
            byte[] end = codec.EndMarker.ToArray();
            byte[] body = "body"u8.ToArray();
            return
            [
                Case("empty-frame", [.. start, .. end]),
                Case("garbage-first", [.. "junk"u8, .. start, .. body, .. end]),
                Case("end-without-start", [.. body, .. end, .. start, .. body, .. end]),
                Case("start-inside-frame", [.. start, .. body, .. start, .. body, .. end]),
                Case("partial-end", [.. start, .. body, .. end[..^1]]),
                Case("over-max", [.. start, .. Enumerable.Repeat((byte)'z', codec.MaxFrameLength + 1), .. end, .. start, .. end]),
                Case("unterminated-over-max", [.. start, .. Enumerable.Repeat((byte)'z', codec.MaxFrameLength + end.Length + 1)]),
            ];
        })
        {
            CanThrow = canThrow,
        };

    /// <summary>Replaces the bytes a delimiter or marker is made of, so the encoder accepts the payload.</summary>
    private static byte[] PayloadWithout(byte[] payload, byte[] reserved)
    {
        for (int i = 0; i < payload.Length; i++)
        {
            if (Array.IndexOf(reserved, payload[i]) >= 0)
            {
                payload[i] = (byte)'x';
            }
        }

        return payload;
    }
}
