namespace TcpToolkit.Proxy;

/// <summary>Why a connection's PROXY protocol header was refused; see <see cref="ProxyProtocolException"/>.</summary>
public enum ProxyProtocolError
{
    /// <summary>
    /// The connection does not start with a PROXY protocol header: its first bytes are neither the version 1 text
    /// <c>PROXY</c> nor the version 2 signature. When the middleware is enabled the header is required (the
    /// specification forbids guessing whether one is present).
    /// </summary>
    MissingHeader = 1,

    /// <summary>
    /// The header does not match the specification: a version 1 line that is not exactly
    /// <c>PROXY TCP4|TCP6|UNKNOWN ...\r\n</c> (double spaces, a lone CR or LF, no CRLF within 107 bytes), or a version
    /// 2 header with an unassigned command, family or transport, an address block too short for its family, or a TLV
    /// that runs past the end of the header.
    /// </summary>
    Malformed,

    /// <summary>A version 1 address or port is not valid for the announced family (leading zeros, out of range, an IPv6 address after <c>TCP4</c>).</summary>
    InvalidAddress,

    /// <summary>The version 2 signature is followed by a version other than 2.</summary>
    UnsupportedVersion,

    /// <summary>The version 2 header announces more bytes than <see cref="ProxyProtocolOptions.MaxHeaderSize"/> allows; refused before they are buffered.</summary>
    TooLarge,

    /// <summary>The version 2 header carries a CRC32c TLV (type 0x03) that does not match the header.</summary>
    ChecksumMismatch,

    /// <summary>The peer closed its side (or sent nothing at all) before the end of the header.</summary>
    Truncated,

    /// <summary>The whole header did not arrive within <see cref="ProxyProtocolOptions.HeaderTimeout"/>.</summary>
    Timeout,

    /// <summary>
    /// The connection does not come from a trusted proxy (<see cref="ProxyProtocolOptions.TrustedProxies"/>), so it may
    /// not claim another client's address; it is refused before any byte is read.
    /// </summary>
    Untrusted,
}
