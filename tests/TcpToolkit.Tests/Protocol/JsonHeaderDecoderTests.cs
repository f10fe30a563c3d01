using System.Buffers;
using System.Text;
using TcpToolkit.Framing;
using TcpToolkit.Protocol;

namespace TcpToolkit.Tests.Protocol;

public sealed class JsonHeaderDecoderTests
{
    public static TheoryData<string> GoldenVectorNames =>
    [
        nameof(ProtocolGoldenVectors.SearchMorpheusRequest),
        nameof(ProtocolGoldenVectors.SearchMorpheusResponse),
        nameof(ProtocolGoldenVectors.SearchFooRequest),
        nameof(ProtocolGoldenVectors.SearchFooResponse),
        nameof(ProtocolGoldenVectors.BinaryRequest),
        nameof(ProtocolGoldenVectors.BinaryResponse),
    ];

    [Fact]
    public void TryDecode_MorpheusRequestVector_GivesTheRequestContent()
    {
        JsonHeaderMessage message = DecodeWhole(ProtocolGoldenVectors.SearchMorpheusRequest);

        message.ByteOrder.Should().Be("little");
        message.ContentType.Should().Be("text/json");
        message.ContentEncoding.Should().Be("utf-8");
        message.ContentLength.Should().Be(41);
        message.GetContentText().Should().Be("""{"action": "search", "value": "morpheus"}""");
    }

    [Fact]
    public void TryDecode_MorpheusResponseVector_GivesWhiteRabbit()
    {
        JsonHeaderMessage message = DecodeWhole(ProtocolGoldenVectors.SearchMorpheusResponse);

        message.ContentLength.Should().Be(43);
        message.GetContentText().Should().Be("""{"result": "Follow the white rabbit. 🐰"}""");
    }

    [Fact]
    public void TryDecode_FooVectors_GiveRequestAndNoMatch()
    {
        JsonHeaderMessage request = DecodeWhole(ProtocolGoldenVectors.SearchFooRequest);
        JsonHeaderMessage response = DecodeWhole(ProtocolGoldenVectors.SearchFooResponse);

        request.ContentLength.Should().Be(36);
        request.GetContentText().Should().Be("""{"action": "search", "value": "foo"}""");
        response.ContentLength.Should().Be(33);
        response.GetContentText().Should().Be("""{"result": "No match for 'foo'."}""");
    }

    [Fact]
    public void TryDecode_BinaryRequestVector_GivesRawBytes()
    {
        JsonHeaderMessage message = DecodeWhole(ProtocolGoldenVectors.BinaryRequest);

        message.ContentType.Should().Be(ProtocolMessages.ClientBinaryContentType);
        message.ContentEncoding.Should().Be("binary");
        message.Content.ToArray().Should().Equal(Convert.FromHexString("62696e617279f09f9883"));
    }

    [Fact]
    public void TryDecode_BinaryResponseVector_GivesFirstTenBytes()
    {
        JsonHeaderMessage message = DecodeWhole(ProtocolGoldenVectors.BinaryResponse);

        message.ContentType.Should().Be(ProtocolMessages.ServerBinaryContentType);
        message.ContentEncoding.Should().Be("binary");
        message.Content.ToArray().Should().Equal([.. "First 10 bytes of request: binary"u8, 0xf0, 0x9f, 0x98, 0x83]);
    }

    [Theory]
    [MemberData(nameof(GoldenVectorNames))]
    public void TryDecode_VectorByteByByte_SameAsWhole(string name)
    {
        byte[] frame = Vector(name);

        (List<JsonHeaderMessage> frames, long unconsumed) =
            ProtocolTestSequences.DecodeArrivals(new JsonHeaderDecoder(), ProtocolTestSequences.ByteByByte(frame));

        frames.Should().ContainSingle();
        unconsumed.Should().Be(0);
        ShouldBeSame(frames[0], DecodeWhole(frame));
    }

    [Theory]
    [MemberData(nameof(GoldenVectorNames))]
    public void TryDecode_VectorSplitAtEveryOffset_SameAsWhole(string name)
    {
        byte[] frame = Vector(name);
        JsonHeaderMessage expected = DecodeWhole(frame);

        for (int offset = 0; offset <= frame.Length; offset++)
        {
            (List<JsonHeaderMessage> frames, long unconsumed) =
                ProtocolTestSequences.DecodeArrivals(new JsonHeaderDecoder(), ProtocolTestSequences.SplitAt(frame, offset));

            frames.Should().ContainSingle($"split at {offset}");
            unconsumed.Should().Be(0);
            ShouldBeSame(frames[0], expected);
        }
    }

    [Theory]
    [MemberData(nameof(GoldenVectorNames))]
    public void TryDecode_WholeFrameInManySegments_SameAsWhole(string name)
    {
        // One call over a sequence of 1-byte segments: header parsing must cope with any segment boundary.
        byte[] frame = Vector(name);

        JsonHeaderMessage message = ProtocolTestSequences.DecodeSingle(
            new JsonHeaderDecoder(), ProtocolTestSequences.Create(ProtocolTestSequences.ByteByByte(frame)), out long consumed);

        consumed.Should().Be(frame.Length);
        ShouldBeSame(message, DecodeWhole(frame));
    }

    [Fact]
    public void TryDecode_SeveralFramesInOneBuffer_DecodesEachInOrder()
    {
        byte[] all = [.. ProtocolGoldenVectors.SearchMorpheusRequest, .. ProtocolGoldenVectors.BinaryResponse, .. ProtocolGoldenVectors.SearchFooResponse];

        (List<JsonHeaderMessage> frames, long unconsumed) = ProtocolTestSequences.DecodeArrivals(new JsonHeaderDecoder(), [all]);

        unconsumed.Should().Be(0);
        frames.Select(f => f.ContentLength).Should().Equal(41, 37, 33);
    }

    [Fact]
    public void TryDecode_SeveralFramesSplitAtEveryOffset_SameFrames()
    {
        byte[] all = [.. ProtocolGoldenVectors.SearchFooRequest, .. ProtocolGoldenVectors.BinaryRequest];

        for (int first = 0; first <= all.Length; first += 7)
        {
            for (int second = first; second <= all.Length; second += 11)
            {
                (List<JsonHeaderMessage> frames, long unconsumed) = ProtocolTestSequences.DecodeArrivals(
                    new JsonHeaderDecoder(), ProtocolTestSequences.SplitAt(all, first, second));

                unconsumed.Should().Be(0);
                frames.Select(f => f.ContentType).Should().Equal("text/json", ProtocolMessages.ClientBinaryContentType);
            }
        }
    }

    [Fact]
    public void TryDecode_FrameThenPartialFrame_KeepsTheRest()
    {
        byte[] all = [.. ProtocolGoldenVectors.SearchFooRequest, .. ProtocolGoldenVectors.BinaryRequest.AsSpan(0, 50)];

        (List<JsonHeaderMessage> frames, long unconsumed) = ProtocolTestSequences.DecodeArrivals(new JsonHeaderDecoder(), [all]);

        frames.Should().ContainSingle();
        unconsumed.Should().Be(50);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(104)]
    [InlineData(105)]
    [InlineData(145)]
    public void TryDecode_Incomplete_NeedsMoreAndExaminesAll(int length)
    {
        var input = new ReadOnlySequence<byte>(ProtocolGoldenVectors.SearchMorpheusRequest.AsMemory(0, length));
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;

        bool decoded = new JsonHeaderDecoder().TryDecode(input, ref consumed, ref examined, out _);

        decoded.Should().BeFalse();
        consumed.Should().Be(input.Start);
        examined.Should().Be(input.End);
    }

    [Fact]
    public void TryDecode_Decoded_ContentOutlivesInputBuffer()
    {
        byte[] buffer = (byte[])ProtocolGoldenVectors.SearchMorpheusResponse.Clone();
        JsonHeaderMessage message = DecodeWhole(buffer);

        Array.Clear(buffer);

        message.GetContentText().Should().Be("""{"result": "Follow the white rabbit. 🐰"}""");
    }

    [Fact]
    public void TryDecode_KeysInAnyOrderWithExtraKeys_Accepted()
    {
        byte[] frame = ProtocolFrames.Build(
            """{"x-extra": {"nested": [1, 2.5, null, true]}, "content-length": 2, "content-encoding": "binary", "byteorder": "big", "content-type": "application/octet-stream", "z": "ignored"}""",
            [0x01, 0x02]);

        JsonHeaderMessage message = DecodeWhole(frame);

        message.ByteOrder.Should().Be("big");
        message.ContentType.Should().Be("application/octet-stream");
        message.ContentEncoding.Should().Be("binary");
        message.Content.ToArray().Should().Equal(0x01, 0x02);
    }

    [Fact]
    public void TryDecode_WhitespaceAndEscapes_Accepted()
    {
        // Escaped key names and values, CR/LF/tab whitespace: Python's json.load accepts all of it.
        byte[] frame = ProtocolFrames.Build(
            "\r\n\t {\"byte\\u006frder\" :\"little\",\n\"content\\u002dtype\":\t\"text\\/json\" , \"content-encoding\": \"\\u0075tf-8\",\"content-length\" : 2 } \n",
            "{}");

        JsonHeaderMessage message = DecodeWhole(frame);

        message.ContentType.Should().Be("text/json");
        message.ContentEncoding.Should().Be("utf-8");
        message.ContentLength.Should().Be(2);
    }

    [Fact]
    public void TryDecode_DuplicateKeys_LastOneWins()
    {
        byte[] frame = ProtocolFrames.Build(
            """{"byteorder": "little", "content-type": "text/json", "content-type": "text/plain", "content-encoding": "utf-8", "content-length": "x", "content-length": 1}""",
            "x");

        JsonHeaderMessage message = DecodeWhole(frame);

        message.ContentType.Should().Be("text/plain");
        message.ContentLength.Should().Be(1);
    }

    [Fact]
    public void TryDecode_NonAsciiContentType_Kept()
    {
        byte[] frame = ProtocolFrames.Build(
            """{"byteorder": 1, "content-type": "bin/😃", "content-encoding": "binary", "content-length": 0}""",
            []);

        JsonHeaderMessage message = DecodeWhole(frame);

        message.ByteOrder.Should().BeNull("a non-string byteorder is accepted, as Python ignores the value");
        message.ContentType.Should().Be("bin/😃");
        message.ContentLength.Should().Be(0);
    }

    [Fact]
    public void TryDecode_ExtraKeyWithLoneSurrogate_Ignored()
    {
        // Python keeps "\ud800" as an extra key; .NET cannot unescape it, which must not break the header.
        byte[] frame = ProtocolFrames.Build(
            """{"\ud800": "\udc00", "byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 2}""",
            "{}");

        JsonHeaderMessage message = DecodeWhole(frame);

        message.ContentType.Should().Be("text/json");
    }

    [Theory]
    [InlineData("""{"content-type": "text/json", "content-encoding": "utf-8", "content-length": 2}""", "byteorder")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8"}""", "content-length")]
    [InlineData("""{"byteorder": "little", "content-encoding": "utf-8", "content-length": 2}""", "content-type")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-length": 2}""", "content-encoding")]
    [InlineData("""{"content-encoding": "utf-8"}""", "byteorder")]
    [InlineData("""{"byteorder": "little", "content-encoding": "utf-8"}""", "content-length")]
    [InlineData("""{"byteorder": "little", "content-length": 2}""", "content-type")]
    [InlineData("""{"byteorder": "little", "content-length": "two"}""", "content-type")]
    [InlineData("""{}""", "byteorder")]
    public void TryDecode_MissingKey_NamesFirstMissingInPythonOrder(string header, string missing)
    {
        Action act = () => DecodeWhole(ProtocolFrames.Build(header, "{}"));

        act.Should().Throw<JsonHeaderException>()
            .WithMessage($"Missing required header '{missing}'.")
            .Which.Should().Match<JsonHeaderException>(e => e.Error == JsonHeaderError.MissingRequiredHeader && e.HeaderName == missing);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"byteorder\": \"little\",}")]
    [InlineData("{'byteorder': 'little'}")]
    [InlineData("   ")]
    [InlineData("{\"byteorder\": NaN, \"content-type\": \"t\", \"content-encoding\": \"b\", \"content-length\": 0}")]
    [InlineData("{\"byteorder\": \"little\", \"content-type\": \"t\", \"content-encoding\": \"b\", \"content-length\": 0} x")]
    [InlineData("{\"byteorder\": \"little\", \"content-type\": \"t\", \"content-encoding\": \"b\", \"content-length\": 0}{}")]
    [InlineData("{\"byteorder\": \"little\" /* comment */}")]
    [InlineData("[1] x")]
    public void TryDecode_InvalidJson_ThrowsInvalidJson(string header)
    {
        Action act = () => DecodeWhole(ProtocolFrames.Build(header, []));

        act.Should().Throw<JsonHeaderException>().Which.Error.Should().Be(JsonHeaderError.InvalidJson);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[\"byteorder\"]")]
    [InlineData("\"byteorder\"")]
    [InlineData("5")]
    [InlineData("null")]
    public void TryDecode_HeaderNotAnObject_ThrowsNotAnObject(string header)
    {
        Action act = () => DecodeWhole(ProtocolFrames.Build(header, []));

        act.Should().Throw<JsonHeaderException>().Which.Error.Should().Be(JsonHeaderError.NotAnObject);
    }

    [Fact]
    public void TryDecode_EmptyHeader_ThrowsWithoutWaitingForMore()
    {
        // Only the two length bytes: the error is known already, waiting would hang like nothing.
        var input = new ReadOnlySequence<byte>(new byte[] { 0x00, 0x00 });
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;

        Action act = () => new JsonHeaderDecoder().TryDecode(input, ref consumed, ref examined, out _);

        act.Should().Throw<JsonHeaderException>().Which.Error.Should().Be(JsonHeaderError.EmptyHeader);
    }

    [Fact]
    public void TryDecode_HeaderWithBom_ThrowsByteOrderMark()
    {
        byte[] header = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(ProtocolFrames.TextJsonHeader(2))];

        Action act = () => DecodeWhole(ProtocolFrames.Build(header, "{}"u8.ToArray()));

        act.Should().Throw<JsonHeaderException>().Which.Error.Should().Be(JsonHeaderError.ByteOrderMark);
    }

    [Fact]
    public void TryDecode_HeaderWithInvalidUtf8_ThrowsInvalidUtf8()
    {
        byte[] header = Encoding.UTF8.GetBytes("""{"x": "?", "byteorder": "little", "content-type": "t", "content-encoding": "b", "content-length": 0}""");
        header[7] = 0xFF;

        Action act = () => DecodeWhole(ProtocolFrames.Build(header, []));

        act.Should().Throw<JsonHeaderException>().Which.Error.Should().Be(JsonHeaderError.InvalidUtf8);
    }

    [Theory]
    [InlineData("\"41\"", "a string")]
    [InlineData("null", "null")]
    [InlineData("true", "a boolean")]
    [InlineData("[41]", "an array")]
    [InlineData("-1", "a negative number")]
    [InlineData("-99999999999999999999", "a negative number")]
    [InlineData("2.0", "a fraction")]
    [InlineData("2.5", "a fraction")]
    [InlineData("1e2", "a fraction")]
    public void TryDecode_ContentLengthNotNonNegativeInteger_ThrowsInvalidContentLength(string value, string described)
    {
        string header = $$"""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": {{value}}}""";

        Action act = () => DecodeWhole(ProtocolFrames.Build(header, "{}"));

        act.Should().Throw<JsonHeaderException>()
            .WithMessage($"Header 'content-length' must be a non-negative JSON integer, not {described}.")
            .Which.Should().Match<JsonHeaderException>(e => e.Error == JsonHeaderError.InvalidContentLength && e.HeaderName == "content-length");
    }

    [Fact]
    public void TryDecode_ContentLengthAboveMaximum_ThrowsBeforeContentArrives()
    {
        // Only the header has arrived; the decoder must not wait for (and buffer) 1 MiB + 1 bytes.
        byte[] frame = ProtocolFrames.Build(ProtocolFrames.TextJsonHeader(JsonHeaderCodecOptions.DefaultMaxContentLength + 1), []);
        var input = new ReadOnlySequence<byte>(frame);
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;

        Action act = () => new JsonHeaderDecoder().TryDecode(input, ref consumed, ref examined, out _);

        act.Should().Throw<FrameTooLargeException>()
            .Which.Should().Match<FrameTooLargeException>(e => e.Length == 1_048_577 && e.MaxFrameLength == 1_048_576);
    }

    [Fact]
    public void TryDecode_ContentLengthAtConfiguredMaximum_Accepted()
    {
        var decoder = new JsonHeaderDecoder(new JsonHeaderCodecOptions { MaxContentLength = 2 });

        JsonHeaderMessage message = ProtocolTestSequences.DecodeSingle(
            decoder, new ReadOnlySequence<byte>(ProtocolFrames.Build(ProtocolFrames.TextJsonHeader(2), "{}")), out _);

        message.ContentLength.Should().Be(2);
    }

    [Fact]
    public void TryDecode_ContentLengthAboveConfiguredMaximum_Throws()
    {
        var decoder = new JsonHeaderDecoder(new JsonHeaderCodecOptions { MaxContentLength = 1 });
        var input = new ReadOnlySequence<byte>(ProtocolFrames.Build(ProtocolFrames.TextJsonHeader(2), "{}"));
        SequencePosition consumed = input.Start;
        SequencePosition examined = input.Start;

        Action act = () => decoder.TryDecode(input, ref consumed, ref examined, out _);

        act.Should().Throw<FrameTooLargeException>().Which.MaxFrameLength.Should().Be(1);
    }

    [Fact]
    public void TryDecode_ContentLengthBeyondInt64_ThrowsFrameTooLarge()
    {
        string header = """{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 99999999999999999999}""";

        Action act = () => DecodeWhole(ProtocolFrames.Build(header, []));

        act.Should().Throw<FrameTooLargeException>().WithMessage("*99999999999999999999*");
    }

    [Theory]
    [InlineData("content-type", "5")]
    [InlineData("content-type", "null")]
    [InlineData("content-encoding", "[\"utf-8\"]")]
    [InlineData("content-encoding", "\"\\ud800\"")]
    public void TryDecode_ContentTypeOrEncodingNotString_ThrowsInvalidHeaderValue(string key, string value)
    {
        string header = key == "content-type"
            ? $$"""{"byteorder": "little", "content-type": {{value}}, "content-encoding": "utf-8", "content-length": 0}"""
            : $$"""{"byteorder": "little", "content-type": "text/json", "content-encoding": {{value}}, "content-length": 0}""";

        Action act = () => DecodeWhole(ProtocolFrames.Build(header, []));

        act.Should().Throw<JsonHeaderException>()
            .Which.Should().Match<JsonHeaderException>(e => e.Error == JsonHeaderError.InvalidHeaderValue && e.HeaderName == key);
    }

    [Fact]
    public void TryDecode_MaximumHeaderLength_Accepted()
    {
        // 65535 header bytes: the most the 2-byte field can announce, padded with an extra key.
        string start = """{"byteorder": "little", "content-type": "t", "content-encoding": "b", "content-length": 0, "pad": """ + "\"";
        string header = start + new string('x', 65535 - start.Length - 2) + "\"}";

        JsonHeaderMessage message = DecodeWhole(ProtocolFrames.Build(header, []));

        message.ContentType.Should().Be("t");
    }

    [Fact]
    public void TryDecode_EmptyBinaryBody_ZeroLengthMessage()
    {
        // Spec §3.7: the guide's server never answers an empty binary request. The frame itself is valid; a server
        // sees ContentLength == 0 and can answer with an error instead.
        JsonHeaderMessage message = DecodeWhole(ProtocolFrames.Build(
            """{"byteorder": "little", "content-type": "binary/custom-client-binary-type", "content-encoding": "binary", "content-length": 0}""",
            []));

        message.ContentLength.Should().Be(0);
        message.IsTextJson.Should().BeFalse();
    }

    [Fact]
    public void TryDecode_GuideHeader_AllocatesOnlyMessageAndContent()
    {
        // The header is read with Utf8JsonReader and the guide's values map to shared strings: decoding allocates the
        // message (about 56 bytes) and the 41-byte content array (about 72), nothing per header field.
        var decoder = new JsonHeaderDecoder();
        var input = new ReadOnlySequence<byte>(ProtocolGoldenVectors.SearchMorpheusRequest);
        for (int i = 0; i < 100; i++)
        {
            Decode(decoder, input);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        Decode(decoder, input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().BeLessThanOrEqualTo(160);

        static void Decode(JsonHeaderDecoder decoder, ReadOnlySequence<byte> input)
        {
            SequencePosition consumed = input.Start;
            SequencePosition examined = input.Start;
            decoder.TryDecode(input, ref consumed, ref examined, out _);
        }
    }

    [Fact]
    public void TryDecode_ContentTrickles_HeaderIsParsedOnceNotPerCall()
    {
        // A custom content type is a new string each time the header is parsed, so allocation shows re-parsing: a
        // peer trickling the content of a frame with a large header must not cost a header parse per segment.
        byte[] header = Encoding.UTF8.GetBytes(
            "{\"byteorder\": \"little\", \"content-type\": \"x/" + new string('a', 4000) + "\", \"content-encoding\": \"binary\", \"content-length\": 1000}");
        var frame = new byte[2 + header.Length + 1000];
        frame[0] = (byte)(header.Length >> 8);
        frame[1] = (byte)header.Length;
        header.CopyTo(frame, 2);
        var decoder = new JsonHeaderDecoder();
        TryDecodePrefix(decoder, frame, 2 + header.Length + 1).Should().BeFalse();

        bool anyDecoded = false;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int arrived = 2 + header.Length + 2; arrived < frame.Length; arrived++)
        {
            anyDecoded |= TryDecodePrefix(decoder, frame, arrived);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        anyDecoded.Should().BeFalse();
        TryDecodePrefix(decoder, frame, frame.Length).Should().BeTrue();

        allocated.Should().Be(0, "998 calls with the content incomplete reuse the parsed header");

        static bool TryDecodePrefix(JsonHeaderDecoder decoder, byte[] frame, int length)
        {
            var input = new ReadOnlySequence<byte>(frame, 0, length);
            SequencePosition consumed = input.Start;
            SequencePosition examined = input.Start;
            return decoder.TryDecode(input, ref consumed, ref examined, out _);
        }
    }

    [Fact]
    public void Constructor_NullOptions_Throws()
    {
        Action act = () => _ = new JsonHeaderDecoder(null!);

        act.Should().Throw<ArgumentNullException>();
    }

    private static byte[] Vector(string name) =>
        (byte[])typeof(ProtocolGoldenVectors).GetField(name)!.GetValue(null)!;

    private static JsonHeaderMessage DecodeWhole(byte[] frame)
    {
        JsonHeaderMessage message = ProtocolTestSequences.DecodeSingle(new JsonHeaderDecoder(), new ReadOnlySequence<byte>(frame), out long consumed);
        consumed.Should().Be(frame.Length);
        return message;
    }

    private static void ShouldBeSame(JsonHeaderMessage actual, JsonHeaderMessage expected)
    {
        actual.ByteOrder.Should().Be(expected.ByteOrder);
        actual.ContentType.Should().Be(expected.ContentType);
        actual.ContentEncoding.Should().Be(expected.ContentEncoding);
        actual.Content.ToArray().Should().Equal(expected.Content.ToArray());
    }
}
