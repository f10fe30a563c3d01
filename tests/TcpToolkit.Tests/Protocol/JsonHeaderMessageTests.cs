using System.Text;
using TcpToolkit.Protocol;

namespace TcpToolkit.Tests.Protocol;

public sealed class JsonHeaderMessageTests
{
    [Fact]
    public void CreateJson_GuideRequestMembers_TextJsonUtf8WithGuideBytes()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateJson(
            new KeyValuePair<string, string?>("action", "search"), new KeyValuePair<string, string?>("value", "morpheus"));

        message.ContentType.Should().Be("text/json");
        message.ContentEncoding.Should().Be("utf-8");
        message.ByteOrder.Should().BeNull();
        Encoding.UTF8.GetString(message.Content.Span).Should().Be("""{"action": "search", "value": "morpheus"}""");
        message.ContentLength.Should().Be(41);
    }

    [Fact]
    public void CreateJson_Emoji_RawUtf8()
    {
        JsonHeaderMessage message = JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>("result", "🐾 Playing ball! 🏐"));

        message.Content.ToArray().Should().Equal([.. "{\"result\": \""u8, 0xf0, 0x9f, 0x90, 0xbe, .. " Playing ball! "u8, 0xf0, 0x9f, 0x8f, 0x90, .. "\"}"u8]);
    }

    [Fact]
    public void CreateJson_LoneSurrogateValue_Throws()
    {
        // Spec §3.7: a request value "\ud800" fails in the guide's server while it encodes the answer.
        string result = "No match for '" + '\ud800' + "'.";

        Action act = () => JsonHeaderMessage.CreateJson(new KeyValuePair<string, string?>("result", result));

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
        ProtocolMessages.SearchRequest("morpheus").ToString().Should().Be("text/json; utf-8; 41 bytes");
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
}
