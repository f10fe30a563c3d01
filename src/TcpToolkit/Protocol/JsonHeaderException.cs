using TcpToolkit.Framing;

namespace TcpToolkit.Protocol;

/// <summary>
/// The JSON header of a socket-guide frame (2-byte length, UTF-8 JSON header, content) is unusable.
/// <see cref="Error"/> says why; the message names the problem in the guide's words where it has some, such as
/// <c>Missing required header 'content-length'.</c>
/// </summary>
/// <remarks>
/// The guide's server closes the connection without an answer on every one of these errors. A content length
/// above the decoder's maximum is reported with <see cref="FrameTooLargeException"/> instead.
/// </remarks>
public sealed class JsonHeaderException : InvalidFrameException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="message">The problem in words.</param>
    /// <param name="headerName">The header key concerned, if there is one.</param>
    /// <param name="innerException">The underlying exception, for example a <see cref="System.Text.Json.JsonException"/>.</param>
    public JsonHeaderException(JsonHeaderError error, string message, string? headerName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        HeaderName = headerName;
    }

    /// <summary>Gets what is wrong with the JSON header.</summary>
    public JsonHeaderError Error { get; }

    /// <summary>
    /// Gets the header key concerned (<c>content-length</c> for <see cref="JsonHeaderError.InvalidContentLength"/>, the
    /// missing key for <see cref="JsonHeaderError.MissingRequiredHeader"/>), or <see langword="null"/> when no single key is.
    /// </summary>
    public string? HeaderName { get; }
}
