namespace TcpToolkit.Messaging;

/// <summary>
/// The code of an Error frame: why a request failed. Codes are part of the wire protocol (a u16); a peer treats a code
/// it does not know as <see cref="Unknown"/>.
/// </summary>
public enum MessageErrorCode
{
    /// <summary>An error the receiver has no code for.</summary>
    Unknown = 0,

    /// <summary>The handler threw. It ran, or part of it did: retry only if the request is idempotent.</summary>
    HandlerFailed = 1,

    /// <summary>
    /// The request was not executed: the peer never started its handler (it was going away, or the request arrived after
    /// its GoAway). Any request may be retried safely, on another connection.
    /// </summary>
    NotExecuted = 2,

    /// <summary>The requester cancelled the request.</summary>
    Cancelled = 3,

    /// <summary>The request's deadline passed before its handler finished.</summary>
    DeadlineExceeded = 4,

    /// <summary>No handler is registered for the request's method.</summary>
    UnknownMethod = 5,

    /// <summary>The request's payload could not be read (the serializer failed): the request itself is bad.</summary>
    InvalidRequest = 6,

    /// <summary>The reply would not fit the requester's maximum frame length.</summary>
    ReplyTooLarge = 7,

    /// <summary>Connection level (id 0): the peers speak different protocol versions or announced unusable limits.</summary>
    ProtocolMismatch = 8,
}
