namespace TcpToolkit.Protocol;

/// <summary>What is wrong with the JSON header of a socket-guide frame; see <see cref="JsonHeaderException"/>.</summary>
public enum JsonHeaderError
{
    /// <summary>The 2-byte proto-header announces a JSON header of length 0. Python fails with <c>JSONDecodeError</c>.</summary>
    EmptyHeader = 1,

    /// <summary>The JSON header starts with a UTF-8 byte order mark. Python fails with <c>Unexpected UTF-8 BOM</c>.</summary>
    ByteOrderMark,

    /// <summary>The JSON header is not valid UTF-8. Python fails with <c>UnicodeDecodeError</c>.</summary>
    InvalidUtf8,

    /// <summary>The JSON header is not valid JSON (including trailing data after the object).</summary>
    InvalidJson,

    /// <summary>The JSON header is valid JSON but not an object.</summary>
    NotAnObject,

    /// <summary>One of the four required keys is missing; <see cref="JsonHeaderException.HeaderName"/> names it.</summary>
    MissingRequiredHeader,

    /// <summary><c>content-length</c> is not a non-negative JSON integer (a string, a fraction, a negative number...).</summary>
    InvalidContentLength,

    /// <summary><c>content-type</c> or <c>content-encoding</c> is not a JSON string that .NET can represent.</summary>
    InvalidHeaderValue,
}
