namespace TcpToolkit.Connections;

/// <summary>Why a <see cref="Connection"/> closed. Every close records exactly one reason, the first that happened.</summary>
public enum CloseReason
{
    /// <summary>The connection is still open.</summary>
    None = 0,

    /// <summary>This side closed gracefully: pending bytes were sent, then FIN.</summary>
    LocalClose,

    /// <summary>The peer closed gracefully (FIN) and this side finished with the connection.</summary>
    RemoteClose,

    /// <summary>The peer reset the connection (RST) or the network dropped it.</summary>
    RemoteReset,

    /// <summary>This side aborted the connection (RST) through <see cref="Connection.Abort(string?)"/>.</summary>
    LocalAbort,

    /// <summary>The server was stopping and the connection's handler did not finish within the shutdown timeout.</summary>
    ServerShutdown,

    /// <summary>The connection's handler threw an exception.</summary>
    HandlerFault,

    /// <summary>The server already had <c>TcpServerOptions.MaxConnections</c> connections open.</summary>
    ConnectionLimit,

    /// <summary>The peer sent bytes that broke the protocol (a bad or oversized frame).</summary>
    ProtocolError,

    /// <summary>No bytes arrived for longer than <c>TcpServerOptions.IdleTimeout</c>.</summary>
    IdleTimeout,

    /// <summary>The peer sent nothing within <c>TcpServerOptions.FirstByteTimeout</c> of the accept.</summary>
    FirstByteTimeout,

    /// <summary>The peer sent a message below <c>TcpServerOptions.MinReceiveDataRate</c> for longer than its grace period (slowloris).</summary>
    MinDataRate,

    /// <summary>The peer did not take pending output within <c>TcpServerOptions.WriteTimeout</c> (it stopped reading).</summary>
    WriteTimeout,

    /// <summary>An unexpected transport error.</summary>
    TransportError,

    /// <summary>A connection middleware failed (a TLS handshake that failed or took too long, a missing or untrusted PROXY header).</summary>
    MiddlewareError,
}
