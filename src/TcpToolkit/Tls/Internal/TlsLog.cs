using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.Tls.Internal;

/// <summary>
/// TLS middleware events. Event IDs 700-799; never reuse an ID, mark retired ones Reserved. A handshake that fails or
/// times out is the peer's doing (or a scanner's) far more often than the server's, so those are Debug, never Error.
/// </summary>
internal static partial class TlsLog
{
    [LoggerMessage(700, LogLevel.Debug, "Connection {ConnectionId}: TLS handshake completed as server: {Protocol}, {CipherSuite}, host name '{HostName}', application protocol '{ApplicationProtocol}'.", EventName = "TlsHandshakeCompleted")]
    public static partial void HandshakeCompleted(ILogger logger, string connectionId, SslProtocols protocol, TlsCipherSuite cipherSuite, string? hostName, string applicationProtocol);

    [LoggerMessage(701, LogLevel.Debug, "Connection {ConnectionId}: TLS handshake failed, the connection is aborted: {Reason}", EventName = "TlsHandshakeFailed")]
    public static partial void HandshakeFailed(ILogger logger, string connectionId, string reason, Exception exception);

    [LoggerMessage(702, LogLevel.Debug, "Connection {ConnectionId}: TLS handshake did not finish within {HandshakeTimeout}, the connection is aborted.", EventName = "TlsHandshakeTimedOut")]
    public static partial void HandshakeTimedOut(ILogger logger, string connectionId, TimeSpan handshakeTimeout);

    [LoggerMessage(703, LogLevel.Warning, "Connection {ConnectionId}: no server certificate for host name '{HostName}' (the selector returned none and ServerCertificate is not set), the handshake fails.", EventName = "TlsNoServerCertificate")]
    public static partial void NoServerCertificate(ILogger logger, string connectionId, string? hostName);

    [LoggerMessage(704, LogLevel.Error, "Connection {ConnectionId}: the ServerCertificateSelector threw for host name '{HostName}', the handshake fails.", EventName = "TlsCertificateSelectorFailed")]
    public static partial void CertificateSelectorFailed(ILogger logger, string connectionId, string? hostName, Exception exception);

    [LoggerMessage(705, LogLevel.Debug, "Connection {ConnectionId}: the TLS layer could not send; the output below it is completed with the error.", EventName = "TlsSendFailed")]
    public static partial void SendFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(706, LogLevel.Debug, "Connection {ConnectionId}: the TLS layer could not send close_notify ({Reason}); the output below is completed without it.", EventName = "TlsCloseNotifyFailed")]
    public static partial void CloseNotifyFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(710, LogLevel.Debug, "Connection {ConnectionId}: TLS handshake completed as client of '{TargetHost}': {Protocol}, {CipherSuite}, application protocol '{ApplicationProtocol}'.", EventName = "TlsClientHandshakeCompleted")]
    public static partial void ClientHandshakeCompleted(ILogger logger, string connectionId, string targetHost, SslProtocols protocol, TlsCipherSuite cipherSuite, string applicationProtocol);

    [LoggerMessage(711, LogLevel.Debug, "Connection {ConnectionId}: TLS handshake with '{TargetHost}' failed, the connection is aborted: {Reason}", EventName = "TlsClientHandshakeFailed")]
    public static partial void ClientHandshakeFailed(ILogger logger, string connectionId, string targetHost, string reason, Exception exception);

    [LoggerMessage(712, LogLevel.Debug, "Connection {ConnectionId}: TLS handshake with '{TargetHost}' did not finish within {HandshakeTimeout}, the connection is aborted.", EventName = "TlsClientHandshakeTimedOut")]
    public static partial void ClientHandshakeTimedOut(ILogger logger, string connectionId, string targetHost, TimeSpan handshakeTimeout);
}
