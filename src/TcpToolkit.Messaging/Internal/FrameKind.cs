namespace TcpToolkit.Messaging.Internal;

/// <summary>The kind byte of a message frame (protocol version 1; the README's "The wire protocol" has the table).</summary>
internal enum FrameKind : byte
{
    /// <summary>Client to server, first frame: protocol version and the client's limits; then optional metadata.</summary>
    Hello = 1,

    /// <summary>Server to client, the answer to <see cref="Hello"/>: version and the server's limits.</summary>
    HelloAck = 2,

    /// <summary>Either direction: a request; exactly one <see cref="Response"/> or <see cref="Error"/> answers it.</summary>
    Request = 3,

    /// <summary>The successful answer to the request with the same id.</summary>
    Response = 4,

    /// <summary>The failed answer to the request with the same id (id 0: a connection-level error), with a code.</summary>
    Error = 5,

    /// <summary>The requester gave up on the request with the same id; the peer cancels its handler's token.</summary>
    Cancel = 6,

    /// <summary>Either direction: a message without a reply (a server's push). The id is 0.</summary>
    OneWay = 7,

    /// <summary>Either direction: a liveness probe; the peer answers <see cref="Pong"/> with the same id.</summary>
    Ping = 8,

    /// <summary>The answer to a <see cref="Ping"/>.</summary>
    Pong = 9,

    /// <summary>
    /// The sender starts no request of the peer with an id above the one carried (the last it accepted); those were
    /// not executed. It finishes the others (or answers them "not executed") and then closes.
    /// </summary>
    GoAway = 10,
}
