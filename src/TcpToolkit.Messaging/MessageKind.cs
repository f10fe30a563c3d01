namespace TcpToolkit.Messaging;

/// <summary>The kind byte of a message envelope (see <see cref="MessageServer"/> for the wire format).</summary>
internal enum MessageKind : byte
{
    /// <summary>Client to server: expects exactly one <see cref="Response"/> or <see cref="Error"/> with the same id.</summary>
    Request = 1,

    /// <summary>Server to client: the successful reply to the request with the same id.</summary>
    Response = 2,

    /// <summary>Server to client: the handler of the request with the same id failed; the payload is a UTF-8 message.</summary>
    Error = 3,

    /// <summary>Client to server: a message without a reply. The id is 0.</summary>
    OneWay = 4,

    /// <summary>Server to client: a message the server sends on its own. The id is 0.</summary>
    Push = 5,

    /// <summary>Either direction: a liveness probe; the peer answers <see cref="Pong"/> with the same id.</summary>
    Ping = 6,

    /// <summary>Either direction: the answer to a <see cref="Ping"/>.</summary>
    Pong = 7,
}
