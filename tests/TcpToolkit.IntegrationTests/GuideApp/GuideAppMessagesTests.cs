using System.Text;
using TcpToolkit.Protocol;
using TcpToolkit.Samples;

namespace TcpToolkit.IntegrationTests.GuideApp;

/// <summary>
/// The guide's demo application on the codec (samples/Shared/GuideApp, compiled into AppServer and AppClient and,
/// linked, into this project): its factories write the guide's contents, its readers tolerate what Python's json
/// module tolerates and name what the guide's server chokes on (spec §3.7).
/// </summary>
public sealed class GuideAppMessagesTests
{
    [Fact]
    public void CreateRequest_Search_TextJsonRequest()
    {
        JsonHeaderMessage message = GuideAppMessages.CreateRequest("search", "morpheus");

        message.ContentType.Should().Be("text/json");
        message.ContentEncoding.Should().Be("utf-8");
        message.ByteOrder.Should().BeNull();
        Encoding.UTF8.GetString(message.Content.Span).Should().Be("""{"action": "search", "value": "morpheus"}""");
        message.ContentLength.Should().Be(41);
    }

    [Fact]
    public void CreateRequest_OtherAction_BinaryActionPlusValue()
    {
        JsonHeaderMessage message = GuideAppMessages.CreateRequest("binary", "😃");

        message.ContentType.Should().Be("binary/custom-client-binary-type");
        message.ContentEncoding.Should().Be("binary");
        message.Content.ToArray().Should().Equal(Convert.FromHexString("62696e617279f09f9883"));
    }

    [Fact]
    public void CreateRequest_SearchInOtherCase_Binary()
    {
        // Python compares action == "search": case-sensitive.
        GuideAppMessages.CreateRequest("Search", "x").ContentType.Should().Be(GuideAppMessages.ClientBinaryContentType);
    }

    [Fact]
    public void CreateSearchRequest_AnyAction_Json()
    {
        JsonHeaderMessage message = GuideAppMessages.CreateSearchRequest("find", "🐶");

        Encoding.UTF8.GetString(message.Content.Span).Should().Be("""{"action": "find", "value": "🐶"}""");
    }

    [Fact]
    public void CreateSearchResponse_Emoji_RawUtf8()
    {
        JsonHeaderMessage message = GuideAppMessages.CreateSearchResponse("🐾 Playing ball! 🏐");

        message.Content.ToArray().Should().Equal([.. "{\"result\": \""u8, 0xf0, 0x9f, 0x90, 0xbe, .. " Playing ball! "u8, 0xf0, 0x9f, 0x8f, 0x90, .. "\"}"u8]);
    }

    [Fact]
    public void CreateSearchResponse_LoneSurrogateResult_Throws()
    {
        // Spec §3.7: a request value "\ud800" fails in the guide's server while it encodes the answer.
        string result = "No match for '" + '\ud800' + "'.";

        Action act = () => GuideAppMessages.CreateSearchResponse(result);

        act.Should().Throw<ArgumentException>().WithMessage("*lone surrogate*");
    }

    [Fact]
    public void Factories_NullArguments_Throw()
    {
        new Action[]
        {
            () => GuideAppMessages.CreateRequest(null!, "v"),
            () => GuideAppMessages.CreateRequest("search", null!),
            () => GuideAppMessages.CreateSearchRequest(null!, "v"),
            () => GuideAppMessages.CreateSearchRequest("search", null!),
            () => GuideAppMessages.CreateSearchResponse(null!),
        }.Should().AllSatisfy(act => act.Should().Throw<ArgumentNullException>());
    }

    [Fact]
    public void CreateRequest_LoneSurrogateInBinaryValue_Throws()
    {
        // Python's str.encode("utf-8") fails the same way in libclient.create_request (UnicodeEncodeError).
        Action act = () => GuideAppMessages.CreateRequest("binary", "x" + '\ud800');

        act.Should().Throw<ArgumentException>().WithMessage("*lone surrogate*");
    }

    [Fact]
    public void TryReadSearchRequest_GuideRequest_ActionAndValue()
    {
        GuideAppMessages.CreateRequest("search", "ring").TryReadSearchRequest(out SearchRequest request, out JsonContentError error).Should().BeTrue();

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
    [InlineData("", nameof(JsonContentError.EmptyContent))]
    [InlineData("{}", nameof(JsonContentError.EmptyObject))]
    [InlineData(" { } ", nameof(JsonContentError.EmptyObject))]
    [InlineData("null", nameof(JsonContentError.NotAnObject))]
    [InlineData("[]", nameof(JsonContentError.NotAnObject))]
    [InlineData("\"\"", nameof(JsonContentError.NotAnObject))]
    [InlineData("0", nameof(JsonContentError.NotAnObject))]
    [InlineData("false", nameof(JsonContentError.NotAnObject))]
    public void TryReadSearchRequest_FalsyContentTheGuideHangsOn_ReportsError(string json, string expected)
    {
        // Spec §3.7 hang quirk: the guide's server never answers these. A reader must say so instead.
        Json(json).TryReadSearchRequest(out SearchRequest request, out JsonContentError error).Should().BeFalse();

        error.ToString().Should().Be(expected);
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
        GuideAppMessages.CreateRequest("binary", "x").TryReadSearchRequest(out _, out JsonContentError error).Should().BeFalse();

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

    [Theory]
    [InlineData("UTF8", "7b22616374696f6e223a2022736561726368227d", nameof(JsonContentError.None))]
    [InlineData("utf_8", "7b22616374696f6e223a2022ff227d", nameof(JsonContentError.InvalidText))]
    public void TryReadSearchRequest_OtherSpellingOfUtf8_DecodedLikeUtf8(string encoding, string hex, string expected)
    {
        // Only "utf-8" itself is read in place; the other spellings Python accepts go through the codec's decoding.
        new JsonHeaderMessage("text/json", encoding, Convert.FromHexString(hex)).TryReadSearchRequest(out _, out JsonContentError error);

        error.ToString().Should().Be(expected);
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
        GuideAppMessages.CreateSearchResponse("In the caves beneath the Misty Mountains. 💍")
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
    [InlineData("{}", nameof(JsonContentError.EmptyObject))]
    [InlineData("[1]", nameof(JsonContentError.NotAnObject))]
    [InlineData("{", nameof(JsonContentError.InvalidJson))]
    [InlineData("{\"result\": [\"x\"]}", nameof(JsonContentError.InvalidMember))]
    public void TryReadSearchResponse_Unreadable_ReportsError(string json, string expected)
    {
        Json(json).TryReadSearchResponse(out string? result, out JsonContentError error).Should().BeFalse();

        error.ToString().Should().Be(expected);
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
