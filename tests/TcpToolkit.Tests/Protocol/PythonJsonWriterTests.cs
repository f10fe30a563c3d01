using System.Buffers;
using System.Text;
using TcpToolkit.Protocol;

namespace TcpToolkit.Tests.Protocol;

/// <summary>
/// Each rule of guide spec §3.3 (Python's <c>json.dumps(obj, ensure_ascii=False).encode("utf-8")</c>). Every expected
/// byte string below was produced by CPython's json module.
/// </summary>
public sealed class PythonJsonWriterTests
{
    [Theory]
    [InlineData("\"", "225c2222")]
    [InlineData("\\", "225c5c22")]
    [InlineData("a\"b\\c", "22615c22625c5c6322")]
    public void WriteString_QuoteAndBackslash_Escaped(string value, string expectedHex)
    {
        StringBytes(value).Should().Equal(Convert.FromHexString(expectedHex));
    }

    [Theory]
    [InlineData("\n", "\"\\n\"")]
    [InlineData("\r", "\"\\r\"")]
    [InlineData("\t", "\"\\t\"")]
    [InlineData("\b", "\"\\b\"")]
    [InlineData("\f", "\"\\f\"")]
    public void WriteString_ShortEscapeControls_UseShortForm(string value, string expected)
    {
        Encoding.UTF8.GetString(StringBytes(value)).Should().Be(expected);
    }

    [Theory]
    [InlineData("\u0000", "\"\\u0000\"")]
    [InlineData("\u0001", "\"\\u0001\"")]
    [InlineData("\u000b", "\"\\u000b\"")]
    [InlineData("\u000e", "\"\\u000e\"")]
    [InlineData("\u001b", "\"\\u001b\"")]
    [InlineData("\u001f", "\"\\u001f\"")]
    public void WriteString_OtherControls_LowercaseUnicodeEscape(string value, string expected)
    {
        Encoding.UTF8.GetString(StringBytes(value)).Should().Be(expected);
    }

    [Fact]
    public void WriteString_AllControls_MatchPython()
    {
        // U+0000..U+001F in one string: 5 short escapes and 27 \u00xx, as CPython writes them.
        string value = new([.. Enumerable.Range(0, 0x20).Select(i => (char)i)]);

        Encoding.UTF8.GetString(StringBytes(value)).Should().Be(
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f" +
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
    }

    [Theory]
    [InlineData("🐰", "22f09f90b022")]
    [InlineData("😃", "22f09f988322")]
    public void WriteString_Emoji_RawFourBytes(string value, string expectedHex)
    {
        StringBytes(value).Should().Equal(Convert.FromHexString(expectedHex));
    }

    [Theory]
    [InlineData("\u2028", "22e280a822")]
    [InlineData("\u2029", "22e280a922")]
    [InlineData("\u007f", "227f22")]
    [InlineData("\u0080", "22c28022")]
    [InlineData("\u00a0", "22c2a022")]
    [InlineData("é", "22c3a922")]
    [InlineData("\ufeff", "22efbbbf22")]
    public void WriteString_NonAsciiAndDel_Raw(string value, string expectedHex)
    {
        StringBytes(value).Should().Equal(Convert.FromHexString(expectedHex));
    }

    [Theory]
    [InlineData("/", "\"/\"")]
    [InlineData("<>&'+`", "\"<>&'+`\"")]
    [InlineData("http://a/b?c=<d>&e='f'+`g`", "\"http://a/b?c=<d>&e='f'+`g`\"")]
    public void WriteString_SlashAndHtmlSensitive_Raw(string value, string expected)
    {
        Encoding.UTF8.GetString(StringBytes(value)).Should().Be(expected);
    }

    [Fact]
    public void WriteObject_Members_PythonSeparatorsInOrder()
    {
        byte[] bytes = Write(static (ref PythonJsonWriter w) =>
        {
            w.WriteStartObject();
            w.WriteString("a", "1");
            w.WriteStringOrNull("b", null);
            w.WriteNumber("n", long.MinValue);
            w.WriteNumber("m", long.MaxValue);
            w.WriteNumber("z", 0);
            w.WriteEndObject();
        });

        Encoding.UTF8.GetString(bytes).Should().Be(
            """{"a": "1", "b": null, "n": -9223372036854775808, "m": 9223372036854775807, "z": 0}""");
    }

    [Fact]
    public void WriteObject_Empty_TwoBraces()
    {
        byte[] bytes = Write(static (ref PythonJsonWriter w) =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        });

        bytes.Should().Equal("{}"u8.ToArray());
    }

    [Fact]
    public void WriteObject_EscapedKey_EscapedLikeValues()
    {
        byte[] bytes = Write(static (ref PythonJsonWriter w) =>
        {
            w.WriteStartObject();
            w.WriteString("k\"\n🐰", "v");
            w.WriteEndObject();
        });

        Encoding.UTF8.GetString(bytes).Should().Be("{\"k\\\"\\n🐰\": \"v\"}");
    }

    // Not [InlineData]: attribute strings are stored as UTF-8 in metadata, which turns lone surrogates into U+FFFD.
    public static TheoryData<string> LoneSurrogates => ["\ud800", "\udc00", "a\ud83d", "\udc30\ud83d"];

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public void WriteString_LoneSurrogate_Throws(string value)
    {
        // Python builds such a str but cannot encode it: UnicodeEncodeError.
        Action act = () => StringBytes(value);

        act.Should().Throw<ArgumentException>().WithMessage("*lone surrogate*");
    }

    [Fact]
    public void BytesWritten_CountingWriter_EqualsWrittenLength()
    {
        string value = "mixed \"\\\n\u0001🐰\u2028é/" + new string('x', 1000);
        var counter = new PythonJsonWriter(null);
        counter.WriteStartObject();
        counter.WriteString("k", value);
        counter.WriteEndObject();
        counter.Flush();

        byte[] written = Write((ref PythonJsonWriter w) =>
        {
            w.WriteStartObject();
            w.WriteString("k", value);
            w.WriteEndObject();
        });

        counter.BytesWritten.Should().Be(written.Length);
    }

    [Fact]
    public void WriteString_LongerThanOneSpan_Complete()
    {
        // Past the writer's 256-byte request, with a 4-byte scalar straddling the boundary.
        string value = new string('a', 253) + "🐰" + new string('b', 300);

        Encoding.UTF8.GetString(StringBytes(value)).Should().Be("\"" + value + "\"");
    }

    private delegate void WriteAction(ref PythonJsonWriter writer);

    private static byte[] StringBytes(string value)
    {
        byte[] member = Write((ref PythonJsonWriter w) =>
        {
            w.WriteStartObject();
            w.WriteString("k", value);
            w.WriteEndObject();
        });

        // Strip {"k": and } to leave the string literal.
        return member[6..^1];
    }

    private static byte[] Write(WriteAction write)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new PythonJsonWriter(output);
        write(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
