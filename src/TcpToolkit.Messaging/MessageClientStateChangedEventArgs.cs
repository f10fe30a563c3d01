using TcpToolkit.Transport;

namespace TcpToolkit.Messaging;

/// <summary>Data of <see cref="MessageClient.StateChanged"/>.</summary>
public sealed class MessageClientStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="previousState">The state before the change.</param>
    /// <param name="state">The new state.</param>
    /// <param name="exception">Why the client left <see cref="MessageClientState.Connected"/> or closed, if it was a failure.</param>
    public MessageClientStateChangedEventArgs(MessageClientState previousState, MessageClientState state, Exception? exception)
    {
        PreviousState = previousState;
        State = state;
        Exception = exception;
    }

    /// <summary>Gets the state before the change.</summary>
    public MessageClientState PreviousState { get; }

    /// <summary>Gets the new state.</summary>
    public MessageClientState State { get; }

    /// <summary>
    /// Gets why the connection was lost (entering <see cref="MessageClientState.Reconnecting"/>) or why the client gave up
    /// (entering <see cref="MessageClientState.Closed"/>), usually a <see cref="ConnectionLostException"/> or a
    /// <see cref="TcpConnectException"/>; <see langword="null"/> otherwise.
    /// </summary>
    public Exception? Exception { get; }
}
