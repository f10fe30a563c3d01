namespace TcpToolkit.Sessions;

/// <summary>
/// What a session's send queue does when a message arrives and the queue is full (the member does not read as fast as
/// messages come). Whatever the policy, the broadcaster never waits, the queue never grows past its bound, and every
/// message not delivered is counted (<see cref="Session{TState}.DroppedMessageCount"/>,
/// <see cref="SessionRegistry{TState}.DroppedMessageCount"/>) and logged (once per episode, not once per message).
/// </summary>
public enum SendQueueFullPolicy
{
    /// <summary>
    /// Drop the oldest queued messages until the new one fits: a slow member skips ahead and sees the latest messages
    /// (dashboards, game state, prices). The default.
    /// </summary>
    DropOldest = 0,

    /// <summary>Drop the new message: a slow member keeps what it has queued and misses what comes while it is full.</summary>
    DropNewest,

    /// <summary>
    /// Abort the member's connection (<see cref="Connections.CloseReason.LocalAbort"/>): a client that cannot keep up
    /// learns it at once and can reconnect and resynchronise, instead of silently missing messages (chat, orders).
    /// </summary>
    Disconnect,
}
