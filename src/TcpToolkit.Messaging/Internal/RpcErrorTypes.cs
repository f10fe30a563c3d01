using TcpToolkit.Framing;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The <c>error.type</c> values of the request/response metrics and spans: a small fixed vocabulary (the README lists
/// it), so a peer's messages or exception types never become attribute values. <see langword="null"/> is success.
/// </summary>
internal static class RpcErrorTypes
{
    public const string HandlerFailed = "handler_failed";
    public const string NotExecuted = "not_executed";
    public const string Cancelled = "cancelled";
    public const string DeadlineExceeded = "deadline_exceeded";
    public const string UnknownMethod = "unknown_method";
    public const string InvalidRequest = "invalid_request";
    public const string ReplyTooLarge = "reply_too_large";
    public const string ProtocolMismatch = "protocol_mismatch";
    public const string Unknown = "unknown";
    public const string Timeout = "timeout";
    public const string ConnectionLost = "connection_lost";
    public const string FrameTooLarge = "frame_too_large";
    public const string Other = "_OTHER";

    /// <summary>The error code an Error frame carried (or this end answered with).</summary>
    public static string Of(MessageErrorCode code) => code switch
    {
        MessageErrorCode.HandlerFailed => HandlerFailed,
        MessageErrorCode.NotExecuted => NotExecuted,
        MessageErrorCode.Cancelled => Cancelled,
        MessageErrorCode.DeadlineExceeded => DeadlineExceeded,
        MessageErrorCode.UnknownMethod => UnknownMethod,
        MessageErrorCode.InvalidRequest => InvalidRequest,
        MessageErrorCode.ReplyTooLarge => ReplyTooLarge,
        MessageErrorCode.ProtocolMismatch => ProtocolMismatch,
        _ => Unknown,
    };

    /// <summary>How a request this end sent failed, from the exception its caller gets.</summary>
    public static string Of(Exception exception) => exception switch
    {
        RemoteErrorException remote => Of(remote.ErrorCode),
        RequestNotExecutedException => NotExecuted,
        ConnectionLostException => ConnectionLost,
        TimeoutException => Timeout,
        OperationCanceledException => Cancelled,
        FrameTooLargeException => FrameTooLarge,
        _ => Other,
    };
}
