using TcpToolkit.Protocol;

namespace TcpToolkit.Samples;

/// <summary>
/// Why <see cref="GuideAppMessages.TryReadSearchRequest"/> or <see cref="GuideAppMessages.TryReadSearchResponse"/>
/// could not read the content. A server should answer (or close) on any of these rather than wait: the guide's
/// server never answers <see cref="EmptyObject"/> and the falsy cases of <see cref="NotAnObject"/> (it spins
/// until killed, guide spec §3.7) and closes without an answer on the rest.
/// </summary>
internal enum JsonContentError
{
    /// <summary>The content was read.</summary>
    None = 0,

    /// <summary>The <c>content-type</c> is not <c>text/json</c>; the content is binary.</summary>
    NotJson,

    /// <summary>The content is empty (0 bytes), which is not JSON.</summary>
    EmptyContent,

    /// <summary>The <c>content-encoding</c> is not one the library decodes (see <see cref="JsonHeaderMessage.GetContentText"/>).</summary>
    UnsupportedEncoding,

    /// <summary>The content bytes are not valid in the <c>content-encoding</c>.</summary>
    InvalidText,

    /// <summary>The content is not valid JSON, or starts with a byte order mark (Python: <c>Unexpected UTF-8 BOM</c>).</summary>
    InvalidJson,

    /// <summary>
    /// The content is JSON but not an object: <c>[1]</c>, <c>"x"</c>, and the falsy <c>null</c>, <c>[]</c>,
    /// <c>""</c>, <c>0</c>, <c>false</c>.
    /// </summary>
    NotAnObject,

    /// <summary>The content is the empty object <c>{}</c>, on which the guide's server hangs.</summary>
    EmptyObject,

    /// <summary>
    /// A member the reader needs is an array or an object, or a string with a lone surrogate (<c>"\ud800"</c>), which
    /// has no UTF-8 form: the guide's server fails when it builds the answer (<c>TypeError</c>, <c>UnicodeEncodeError</c>).
    /// </summary>
    InvalidMember,
}
