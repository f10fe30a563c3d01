using System.Buffers;
using System.Globalization;
using System.Text;

namespace TcpToolkit.Protocol;

/// <summary>
/// Writes flat JSON objects byte for byte as Python's <c>json.dumps(obj, ensure_ascii=False).encode("utf-8")</c> does
/// (guide spec §3.3): <c>", "</c> and <c>": "</c> separators, raw UTF-8 for everything but <c>"</c>, <c>\</c> and
/// U+0000-U+001F, short escapes for <c>\n \r \t \b \f</c>, lowercase <c>\u00xx</c> for the other controls.
/// </summary>
/// <remarks>
/// System.Text.Json cannot produce these bytes: even <c>UnsafeRelaxedJsonEscaping</c> escapes emoji as surrogate
/// pairs, U+2028 and DEL, and it uses compact separators (dotnet/runtime#42847, #86463, #119551).
/// With no output the writer only counts, so a caller can learn a length before writing (the proto-header comes
/// first). Strings with a lone surrogate are rejected, as Python's UTF-8 encoder rejects them.
/// </remarks>
internal ref struct PythonJsonWriter
{
    // Longest escape is \u00xx (6 bytes); longest UTF-8 scalar is 4 bytes.
    private const int MaxBytesPerScalar = 6;
    private const int MinimumSpan = 256;

    private readonly IBufferWriter<byte>? _output;
    private Span<byte> _span;
    private int _buffered;
    private long _committed;
    private bool _needsSeparator;

    /// <summary>Creates a writer over <paramref name="output"/>, or a counting writer when it is <see langword="null"/>.</summary>
    public PythonJsonWriter(IBufferWriter<byte>? output)
    {
        _output = output;
    }

    /// <summary>Gets the number of bytes written (or counted) so far, including bytes not yet flushed.</summary>
    public readonly long BytesWritten => _committed + _buffered;

    public void WriteStartObject()
    {
        WriteByte((byte)'{');
        _needsSeparator = false;
    }

    public void WriteEndObject()
    {
        WriteByte((byte)'}');
        _needsSeparator = true;
    }

    public void WriteString(ReadOnlySpan<char> name, ReadOnlySpan<char> value)
    {
        WritePropertyName(name);
        WriteStringLiteral(value);
    }

    public void WriteStringOrNull(ReadOnlySpan<char> name, string? value)
    {
        WritePropertyName(name);
        if (value is null)
        {
            Emit("null"u8);
        }
        else
        {
            WriteStringLiteral(value);
        }
    }

    public void WriteNumber(ReadOnlySpan<char> name, long value)
    {
        WritePropertyName(name);
        Span<byte> digits = stackalloc byte[20];
        bool formatted = value.TryFormat(digits, out int length, default, CultureInfo.InvariantCulture);
        System.Diagnostics.Debug.Assert(formatted, "20 bytes hold any Int64.");
        Emit(digits[..length]);
    }

    /// <summary>Commits buffered bytes to the output. Call once at the end.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output?.Advance(_buffered);
            _committed += _buffered;
            _buffered = 0;
        }

        _span = default;
    }

    private void WritePropertyName(ReadOnlySpan<char> name)
    {
        if (_needsSeparator)
        {
            Emit(", "u8);
        }

        WriteStringLiteral(name);
        Emit(": "u8);
        _needsSeparator = true;
    }

    private void WriteStringLiteral(ReadOnlySpan<char> value)
    {
        WriteByte((byte)'"');
        Span<byte> scalar = stackalloc byte[MaxBytesPerScalar];
        int index = 0;
        while (index < value.Length)
        {
            if (Rune.DecodeFromUtf16(value[index..], out Rune rune, out int charsConsumed) != OperationStatus.Done)
            {
                // Python builds the str but fails in .encode("utf-8") (UnicodeEncodeError): no valid bytes exist.
                throw new ArgumentException(
                    $"The string contains a lone surrogate (U+{(int)value[index]:X4} at index {index}), which cannot be encoded as UTF-8.",
                    nameof(value));
            }

            index += charsConsumed;
            Emit(scalar[..Encode(rune, scalar)]);
        }

        WriteByte((byte)'"');
    }

    private static int Encode(Rune rune, Span<byte> destination)
    {
        int value = rune.Value;
        switch (value)
        {
            case '"':
                return Escape(destination, (byte)'"');
            case '\\':
                return Escape(destination, (byte)'\\');
            case '\n':
                return Escape(destination, (byte)'n');
            case '\r':
                return Escape(destination, (byte)'r');
            case '\t':
                return Escape(destination, (byte)'t');
            case '\b':
                return Escape(destination, (byte)'b');
            case '\f':
                return Escape(destination, (byte)'f');
            case < 0x20:
                // Python writes '\\u{0:04x}': lowercase hex, where System.Text.Json writes uppercase.
                "\\u00"u8.CopyTo(destination);
                destination[4] = LowerHex(value >> 4);
                destination[5] = LowerHex(value & 0xF);
                return 6;
            default:
                return rune.EncodeToUtf8(destination);
        }
    }

    private static int Escape(Span<byte> destination, byte letter)
    {
        destination[0] = (byte)'\\';
        destination[1] = letter;
        return 2;
    }

    private static byte LowerHex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private void WriteByte(byte value) => Emit(new ReadOnlySpan<byte>(in value));

    private void Emit(scoped ReadOnlySpan<byte> bytes)
    {
        if (_output is null)
        {
            _committed += bytes.Length;
            return;
        }

        if (_span.Length - _buffered < bytes.Length)
        {
            Flush();
            _span = _output.GetSpan(Math.Max(bytes.Length, MinimumSpan));
        }

        bytes.CopyTo(_span[_buffered..]);
        _buffered += bytes.Length;
    }
}
