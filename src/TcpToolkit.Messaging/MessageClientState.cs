namespace TcpToolkit.Messaging;

/// <summary>The connection state of a <see cref="MessageClient"/>: Connecting, then Connected and Reconnecting in turn, then Closed.</summary>
public enum MessageClientState
{
    /// <summary>No connection has been made yet (before and during the first connect, with backoff between failed attempts).</summary>
    Connecting,

    /// <summary>A connection is up; requests are sent at once.</summary>
    Connected,

    /// <summary>The connection was lost; the client waits with backoff and reconnects. New requests wait for the connection.</summary>
    Reconnecting,

    /// <summary>Final: the client was disposed or gave up after <see cref="MessageClientOptions.MaxReconnectAttempts"/>.</summary>
    Closed,
}
