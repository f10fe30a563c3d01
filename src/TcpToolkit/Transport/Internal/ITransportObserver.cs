namespace TcpToolkit.Transport.Internal;

/// <summary>The owner of a <see cref="SocketPump"/>, told when both of its loops have ended.</summary>
internal interface ITransportObserver
{
    /// <summary>
    /// Called once, on the thread that ended the last loop, after both pipes were completed. Must not block and must
    /// not run application code inline.
    /// </summary>
    void OnTransportEnded();
}
