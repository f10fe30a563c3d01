using System.Text;
using TcpToolkit.Protocol;

namespace TcpToolkit.Tests.Protocol;

public sealed class JsonHeaderMessageTests
{
    [Fact]
    public void CreateRequest_Search_TextJsonRequest()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateRequest("search", "morpheus");

        message.ContentType.Should().Be("text/json");
        message.ContentEncoding.Should().Be("utf-8");
        message.ByteOrder.Should().BeNull();
        Encoding.UTF8.GetString(message.Content.Span).Should().Be("""{"action": "search", "value": "morpheus"}""");
        message.ContentLength.Should().Be(41);
    }

    [Fact]
    public void CreateRequest_OtherAction_BinaryActionPlusValue()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateRequest("binary", "😃");

        message.ContentType.Should().Be("binary/custom-client-binary-type");
        message.ContentEncoding.Should().Be("binary");
        message.Content.ToArray().Should().Equal(Convert.FromHexString("62696e617279f09f9883"));
    }

    [Fact]
    public void CreateRequest_SearchInOtherCase_Binary()
    {
        // Python compares action == "search": case-sensitive.
        JsonHeaderMessage.CreateRequest("Search", "x").ContentType.Should().Be(JsonHeaderMessage.ClientBinaryContentType);
    }

    [Fact]
    public void CreateSearchRequest_AnyAction_Json()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateSearchRequest("find", "🐶");

        Encoding.UTF8.GetString(message.Content.Span).Should().Be("""{"action": "find", "value": "🐶"}""");
    }

    [Fact]
    public void CreateSearchResponse_Emoji_RawUtf8()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateSearchResponse("🐾 Playing ball! 🏐");

        message.Content.ToArray().Should().Equal([.. "{\"result\": \""u8, 0xf0, 0x9f, 0x90, 0xbe, .. " Playing ball! "u8, 0xf0, 0x9f, 0x8f, 0x90, .. "\"}"u8]);
    }

    [Fact]
    public void CreateSearchResponse_LoneSurrogateResult_Throws()
    {
        // Spec §3.7: a request value "\ud800" fails in the guide's server while it encodes the answer.
        string result = "No match for '" + '\ud800' + "'.";

        Action act = () => JsonHeaderMessage.CreateSearchResponse(result);

        act.Should().Throw<ArgumentException>().WithMessage("*lone surrogate*");
    }

    [Fact]
    public void CreateJson_Members_WrittenInOrderWithNull()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateJson(
            new KeyValuePair<string, string?>("b", "2"), new KeyValuePair<string, string?>("a", null));

        Encoding.UTF8.GetString(message.Content.Span).Should().Be("""{"b": "2", "a": null}""");
        message.IsTextJson.Should().BeTrue();
    }

    [Fact]
    public void CreateJson_NoMembers_EmptyObject()
    {
        JsonHeaderMessage.CreateJson().Content.ToArray().Should().Equal("{}"u8.ToArray());
    }

    [Fact]
    public void CreateText_Text_Utf8Content()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateText("héllo 🐰", "text/plain");

        message.ContentType.Should().Be("text/plain");
        message.ContentEncoding.Should().Be("utf-8");
        message.GetContentText().Should().Be("héllo 🐰");
        message.IsTextJson.Should().BeFalse();
    }

    [Fact]
    public void CreateText_LoneSurrogate_Throws()
    {
        Action act = () => JsonHeaderMessage.CreateText("a" + '\udc00', "text/plain");

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void CreateBinary_Content_NotCopied()
    {
        byte[] content = [1, 2, 3];

        JsonHeaderMessage message = JsonHeaderMessage.CreateBinary(content, "binary/x");

        message.ContentEncoding.Should().Be("binary");
        message.Content.Span.Overlaps(content).Should().BeTrue();
    }

    [Fact]
    public void Factories_NullArguments_Throw()
    {
        new Action[]
        {
            () => JsonHeaderMessage.CreateRequest(null!, "v"),
            () => JsonHeaderMessage.CreateRequest("search", null!),
            () => JsonHeaderMessage.CreateSearchRequest(null!, "v"),
            () => JsonHeaderMessage.CreateSearchResponse(null!),
            () => JsonHeaderMessage.CreateText(null!, "t"),
            () => JsonHeaderMessage.CreateText("t", null!),
            () => JsonHeaderMessage.CreateBinary(default, null!),
            () => JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>(null!, "v")),
            () => _ = new JsonHeaderMessage(null!, "e", default),
            () => _ = new JsonHeaderMessage("t", null!, default),
        }.Should().AllSatisfy(act => act.Should().Throw<ArgumentNullException>());
    }

    [Fact]
    public void IsTextJson_OtherCase_False()
    {
        // libserver compares content-type == "text/json" exactly.
        new JsonHeaderMessage("Text/JSON", "utf-8", "{}"u8.ToArray()).IsTextJson.Should().BeFalse();
    }

    [Fact]
    public void ToString_Header_DescribesWithoutContent()
    {
        JsonHeaderMessage.CreateRequest("search", "morpheus").ToString().Should().Be("text/json; utf-8; 41 bytes");
    }

    [Theory]
    [InlineData("utf-8")]
    [InlineData("UTF-8")]
    [InlineData("utf8")]
    [InlineData("utf_8")]
    [InlineData(" U8 ")]
    public void GetContentText_Utf8Spellings_Decoded(string encoding)
    {
        new JsonHeaderMessage("text/plain", encoding, Encoding.UTF8.GetBytes("é🐰")).GetContentText().Should().Be("é🐰");
    }

    [Theory]
    [InlineData("latin-1", "e9", "é")]
    [InlineData("iso-8859-1", "e9ff", "éÿ")]
    [InlineData("ascii", "41", "A")]
    [InlineData("utf-16", "fffe4100e900", "Aé")]
    [InlineData("utf-16", "feff004100e9", "Aé")]
    [InlineData("utf-16", "4100e900", "Aé")]
    [InlineData("utf-16-le", "4100", "A")]
    [InlineData("utf-16-be", "0041", "A")]
    public void GetContentText_OtherEncodings_Decoded(string encoding, string hex, string expected)
    {
        new JsonHeaderMessage("text/plain", encoding, Convert.FromHexString(hex)).GetContentText().Should().Be(expected);
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("ebcdic")]
    public void GetContentText_UnknownEncoding_ThrowsNotSupported(string encoding)
    {
        Action act = () => new JsonHeaderMessage("text/plain", encoding, "x"u8.ToArray()).GetContentText();

        act.Should().Throw<NotSupportedException>().WithMessage($"*'{encoding}'*");
    }

    [Theory]
    [InlineData("utf-8", "ff")]
    [InlineData("utf-8", "eda080")]
    [InlineData("ascii", "80")]
    [InlineData("utf-16-le", "00d8")]
    public void GetContentText_InvalidBytes_ThrowsInvalidData(string encoding, string hex)
    {
        Action act = () => new JsonHeaderMessage("text/plain", encoding, Convert.FromHexString(hex)).GetContentText();

        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void TryReadSearchRequest_GuideRequest_ActionAndValue()
    {
        JsonHeaderMessage.CreateRequest("search", "ring").TryReadSearchRequest(out SearchRequest request, out JsonContentError error).Should().BeTrue();

        error.Should().Be(JsonContentError.None);
        request.Should().Be(new SearchRequest("search", "ring"));
        request.IsSearch.Should().BeTrue();
    }

    [Theory]
    [InlineData("""{"value": "🐶", "action": "search"}""", "search", "🐶")]
    [InlineData("""  {"x": [1, {"y": null}], "action":"search","value":"a\"b"} """, "search", "a\"b")]
    [InlineData("""{"\u0061ction": "\u0073earch", "value": "\ud83d\udc36"}""", "search", "🐶")]
    [InlineData("""{"action": "find", "action": "search", "value": "x"}""", "search", "x")]
    [InlineData("""{"action": "search"}""", "search", null)]
    [InlineData("""{"value": "x"}""", null, "x")]
    [InlineData("""{"action": null, "value": null}""", null, null)]
    [InlineData("""{"action": "search", "value": 5}""", "search", "5")]
    [InlineData("""{"action": "search", "value": 1.0}""", "search", "1.0")]
    [InlineData("""{"action": true, "value": false}""", "true", "false")]
    public void TryReadSearchRequest_TolerantInput_Read(string json, string? action, string? value)
    {
        Json(json).TryReadSearchRequest(out SearchRequest request, out JsonContentError error).Should().BeTrue();

        error.Should().Be(JsonContentError.None);
        request.Should().Be(new SearchRequest(action, value));
    }

    [Theory]
    [InlineData("", JsonContentError.EmptyContent)]
    [InlineData("{}", JsonContentError.EmptyObject)]
    [InlineData(" { } ", JsonContentError.EmptyObject)]
    [InlineData("null", JsonContentError.NotAnObject)]
    [InlineData("[]", JsonContentError.NotAnObject)]
    [InlineData("\"\"", JsonContentError.NotAnObject)]
    [InlineData("0", JsonContentError.NotAnObject)]
    [InlineData("false", JsonContentError.NotAnObject)]
    public void TryReadSearchRequest_FalsyContentTheGuideHangsOn_ReportsError(string json, JsonContentError expected)
    {
        // Spec §3.7 hang quirk: the guide's server never answers these. A reader must say so instead.
        Json(json).TryReadSearchRequest(out SearchRequest request, out JsonContentError error).Should().BeFalse();

        error.Should().Be(expected);
        request.Should().Be(default(SearchRequest));
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"x\"")]
    [InlineData("5")]
    public void TryReadSearchRequest_NotAnObject_ReportsNotAnObject(string json)
    {
        // Python: AttributeError ('list' object has no attribute 'get'); the connection closes unanswered.
        Json(json).TryReadSearchRequest(out _, out JsonContentError error).Should().BeFalse();

        error.Should().Be(JsonContentError.NotAnObject);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("{\"action\": }")]
    [InlineData("{\"action\": \"search\",}")]
    [InlineData("{} x")]
    [InlineData("{\"action\": \"search\"} {}")]
    [InlineData("[1] x")]
    [InlineData("{\"action\": NaN}")]
    public void TryReadSearchRequest_InvalidJson_ReportsInvalidJson(string json)
    {
        Json(json).TryReadSearchRequest(out _, out JsonContentError error).Should().BeFalse();

        error.Should().Be(JsonContentError.InvalidJson);
    }

    [Fact]
    public void TryReadSearchRequest_ContentWithBom_ReportsInvalidJson()
    {
        var message = new JsonHeaderMessage("text/json", "utf-8", (byte[])[0xEF, 0xBB, 0xBF, .. "{\"action\": \"search\"}"u8]);

        message.TryReadSearchRequest(out _, out JsonContentError error).Should().BeFalse();

        error.Should().Be(JsonContentError.InvalidJson);
    }

    [Fact]
    public void TryReadSearchRequest_InvalidUtf8_ReportsInvalidText()
    {
        var message = new JsonHeaderMessage("text/json", "utf-8", (byte[])[.. "{\"action\": \""u8, 0xFF, .. "\"}"u8]);

        message.TryReadSearchRequest(out _, out JsonContentError error).Should().BeFalse();

        error.Should().Be(JsonContentError.InvalidText);
    }

    [Theory]
    [InlineData("""{"action": "search", "value": "\ud800"}""")]
    [InlineData("""{"action": "\udc00", "value": "x"}""")]
    [InlineData("""{"action": "search", "value": ["x"]}""")]
    [InlineData("""{"action": {"a": 1}, "value": "x"}""")]
    public void TryReadSearchRequest_UnanswerableMember_ReportsInvalidMember(string json)
    {
        // A lone surrogate has no UTF-8 form, so no answer could carry it (Python: UnicodeEncodeError while
        // encoding the answer); a list value is unhashable (Python: TypeError).
        Json(json).TryReadSearchRequest(out SearchRequest request, out JsonContentError error).Should().BeFalse();

        error.Should().Be(JsonContentError.InvalidMember);
        request.Should().Be(default(SearchRequest));
    }

    [Fact]
    public void TryReadSearchRequest_LoneSurrogateKeyOfOtherMember_Ignored()
    {
        Json("""{"\ud800": 1, "action": "search", "value": "x"}""").TryReadSearchRequest(out SearchRequest request, out _).Should().BeTrue();

        request.Should().Be(new SearchRequest("search", "x"));
    }

    [Fact]
    public void TryReadSearchRequest_BinaryContent_ReportsNotJson()
    {
        JsonHeaderMessage.CreateRequest("binary", "x").TryReadSearchRequest(out _, out JsonContentError error).Should().BeFalse();

        error.Should().Be(JsonContentError.NotJson);
    }

    [Theory]
    [InlineData("latin-1")]
    [InlineData("utf-16")]
    [InlineData("utf-16-be")]
    public void TryReadSearchRequest_OtherEncoding_Decoded(string encoding)
    {
        // Python decodes text/json content with the header's content-encoding (latin-1 and utf-16 accepted, run).
        Encoding dotnet = encoding switch
        {
            "latin-1" => Encoding.Latin1,
            "utf-16-be" => Encoding.BigEndianUnicode,
            _ => Encoding.Unicode,
        };
        byte[] content = [.. dotnet.GetPreamble().Where(_ => encoding == "utf-16"), .. dotnet.GetBytes("""{"action": "search", "value": "café"}""")];

        new JsonHeaderMessage("text/json", encoding, content).TryReadSearchRequest(out SearchRequest request, out _).Should().BeTrue();

        request.Should().Be(new SearchRequest("search", "café"));
    }

    [Fact]
    public void TryReadSearchRequest_UnsupportedEncoding_ReportsUnsupportedEncoding()
    {
        new JsonHeaderMessage("text/json", "ebcdic", "{}"u8.ToArray()).TryReadSearchRequest(out _, out JsonContentError error).Should().BeFalse();

        error.Should().Be(JsonContentError.UnsupportedEncoding);
    }

    [Fact]
    public void TryReadSearchResponse_GuideResponse_Result()
    {
        JsonHeaderMessage.CreateSearchResponse("In the caves beneath the Misty Mountains. 💍")
            .TryReadSearchResponse(out string? result, out JsonContentError error).Should().BeTrue();

        error.Should().Be(JsonContentError.None);
        result.Should().Be("In the caves beneath the Misty Mountains. 💍");
    }

    [Fact]
    public void TryReadSearchResponse_NoResultMember_NullLikePythonNone()
    {
        Json("""{"other": 1}""").TryReadSearchResponse(out string? result, out _).Should().BeTrue();

        result.Should().BeNull();
    }

    [Theory]
    [InlineData("{}", JsonContentError.EmptyObject)]
    [InlineData("[1]", JsonContentError.NotAnObject)]
    [InlineData("{", JsonContentError.InvalidJson)]
    [InlineData("{\"result\": [\"x\"]}", JsonContentError.InvalidMember)]
    public void TryReadSearchResponse_Unreadable_ReportsError(string json, JsonContentError expected)
    {
        Json(json).TryReadSearchResponse(out string? result, out JsonContentError error).Should().BeFalse();

        error.Should().Be(expected);
        result.Should().BeNull();
    }

    [Theory]
    [InlineData("search", true)]
    [InlineData("Search", false)]
    [InlineData(null, false)]
    public void SearchRequest_IsSearch_OrdinalMatch(string? action, bool expected)
    {
        new SearchRequest(action, "v").IsSearch.Should().Be(expected);
    }

    private static JsonHeaderMessage Json(string json) =>
        new(JsonHeaderMessage.TextJsonContentType, JsonHeaderMessage.Utf8ContentEncoding, Encoding.UTF8.GetBytes(json));
}
