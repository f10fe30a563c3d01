using System.Security.Authentication;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Tls.Internal;

/// <summary>
/// The attribute values of the <c>tls_handshake.duration</c> instruments: <c>tls.protocol.version</c> as the
/// semantic conventions write it, and a small fixed <c>error.type</c> vocabulary for failed handshakes.
/// </summary>
internal static class TlsTelemetry
{
    /// <summary>The handshake ran out of <c>HandshakeTimeout</c>.</summary>
    public const string Timeout = "timeout";

    /// <summary>The server or client stopped during the handshake.</summary>
    public const string Canceled = "canceled";

    /// <summary>The peer's certificate, protocol version or cipher suites were refused, or the peer refused ours.</summary>
    public const string AuthenticationFailed = "authentication_failed";

    /// <summary>The peer closed or reset the connection during the handshake (a scanner, a client that gave up).</summary>
    public const string ConnectionClosed = "connection_closed";

    /// <summary>Gets <c>1.2</c> or <c>1.3</c>; <see langword="null"/> (no attribute) for anything else.</summary>
    public static string? Version(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls12 => "1.2",
        SslProtocols.Tls13 => "1.3",
        _ => null,
    };

    /// <summary>Gets the <c>error.type</c> of a handshake that threw <paramref name="exception"/>.</summary>
    public static string ErrorType(Exception exception, bool timedOut, bool canceled) => timedOut ? Timeout
        : canceled ? Canceled
        : exception switch
        {
            AuthenticationException => AuthenticationFailed,
            IOException or OperationCanceledException => ConnectionClosed,
            _ => ErrorTypes.Other,
        };
}
