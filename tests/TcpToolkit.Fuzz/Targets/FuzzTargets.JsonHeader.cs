using System.Buffers.Binary;
using System.Text;
using TcpToolkit.Protocol;

namespace TcpToolkit.Fuzz;

internal static partial class FuzzTargets
{
    private const int JsonMaxContentLength = 1024;

    private static FuzzTarget<JsonHeaderMessage> JsonHeader() => new(
        "json-header",
        $"The socket guide's protocol: 2-byte big-endian header length, JSON header, content (max content {JsonMaxContentLength}).",
        () => new JsonHeaderDecoder(JsonOptions()),
        static (message, digest) =>
        {
            digest.Add(message.ByteOrder);
            digest.Add(message.ContentType);
            digest.Add(message.ContentEncoding);
            digest.Add(message.Content.Span);
        },
        static random =>
        {
            var encoder = new JsonHeaderEncoder(JsonOptions());
            return EncodeFrames<JsonHeaderMessage>(encoder.Encode, random.Next(1, 4), _ => RandomJsonMessage(random), lengthFieldOffset: 0, lengthFieldSize: 2);
        },
        () =>
        [
            Case("empty-header", [0, 0]),
            Case("header-length-max-incomplete", [0xFF, 0xFF, .. "{\"byteorder\": "u8]),
            Case("bom", JsonFrame([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(GuideHeader(0))], [])),
            Case("invalid-utf8", JsonFrame([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], [])),
            Case("not-an-object", JsonFrame("[1, 2]", [])),
            Case("missing-content-length", JsonFrame("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8"}""", [])),
            Case("content-length-negative", JsonFrame(GuideHeader(-1), [])),
            Case("content-length-fraction", JsonFrame(GuideHeaderRaw("1.5"), [0x41])),
            Case("content-length-exponent", JsonFrame(GuideHeaderRaw("1e2"), [])),
            Case("content-length-huge", JsonFrame(GuideHeaderRaw("99999999999999999999999"), [])),
            Case("content-length-over-max", JsonFrame(GuideHeader(JsonMaxContentLength + 1), [])),
            Case("content-length-string", JsonFrame(GuideHeaderRaw("\"3\""), [1, 2, 3])),
            Case("content-at-max", JsonFrame(GuideHeader(JsonMaxContentLength), new byte[JsonMaxContentLength])),
            Case("escaped-keys", JsonFrame("""{"byte\u006frder": "big", "content\u002dtype": "text/json", "content-encoding": "utf-8", "content-length": 2}""", "{}"u8.ToArray())),
            Case("lone-surrogate", JsonFrame("""{"byteorder": "little", "content-type": "\ud800", "content-encoding": "utf-8", "\udc00": 1, "content-length": 0}""", [])),
            Case("deep-nesting", JsonFrame($$"""{"x": {{new string('[', 70)}}{{new string(']', 70)}}, "byteorder": "little", "content-type": "t", "content-encoding": "b", "content-length": 0}""", [])),
            Case("duplicate-keys", JsonFrame("""{"content-length": 9, "byteorder": "little", "content-type": "a", "content-encoding": "b", "content-length": 1}""", [0x7A])),
            Case("trailing-data", JsonFrame(GuideHeader(0) + " x", [])),
            Case("nan", JsonFrame(GuideHeaderRaw("NaN"), [])),
            Case("zero-content-twice", [.. JsonFrame(GuideHeader(0), []), .. JsonFrame(GuideHeader(0), [])]),
        ]);

    // ByteOrder is internal (a test seam): a fixed "little" keeps the written corpus the same on every machine.
    private static JsonHeaderCodecOptions JsonOptions() => new()
    {
        MaxContentLength = JsonMaxContentLength,
        ByteOrder = JsonHeaderMessage.LittleEndianByteOrder,
    };

    /// <summary>The shapes of the guide's messages (its search request and answer, its binary request) and free text.</summary>
    private static JsonHeaderMessage RandomJsonMessage(Random random) => random.Next(4) switch
    {
        0 => JsonHeaderMessage.CreateJson(
            new KeyValuePair<string, string?>("action", "search"), new KeyValuePair<string, string?>("value", RandomText(random, 24))),
        1 => JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>("result", RandomText(random, 40))),
        2 => JsonHeaderMessage.CreateBinary(RandomPayload(random, 48), "binary/custom-client-binary-type"),
        _ => JsonHeaderMessage.CreateText(RandomText(random, 32), RandomText(random, 8)),
    };

    /// <summary>The guide's header with a numeric content length.</summary>
    private static string GuideHeader(long contentLength) =>
        GuideHeaderRaw(contentLength.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The guide's header with <paramref name="contentLength"/> written verbatim as the value.</summary>
    private static string GuideHeaderRaw(string contentLength) =>
        $$"""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": {{contentLength}}}""";

    private static byte[] JsonFrame(string header, byte[] content) => JsonFrame(Encoding.UTF8.GetBytes(header), content);

    private static byte[] JsonFrame(byte[] header, byte[] content)
    {
        var frame = new byte[2 + header.Length + content.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, checked((ushort)header.Length));
        header.CopyTo(frame, 2);
        content.CopyTo(frame, 2 + header.Length);
        return frame;
    }
}
