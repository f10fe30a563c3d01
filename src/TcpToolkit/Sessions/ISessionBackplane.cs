namespace TcpToolkit.Sessions;

/// <summary>
/// Carries a <see cref="SessionRegistry{TState}"/>'s broadcasts between server instances: each instance publishes its
/// broadcasts and delivers the other instances' broadcasts to its own members. <c>TcpToolkit.Redis</c> implements it
/// on Redis pub/sub; any bus that delivers bytes to every subscribed instance will do.
/// </summary>
/// <remarks>
/// <para>
/// The registry asks little of an implementation and gives the guarantees itself: it numbers each instance's messages,
/// delivers a message to each local member exactly once (duplicates from a retried publish are dropped, this instance's
/// own messages are ignored because it delivered them locally already) and in publish order per publishing instance;
/// a gap (messages lost during an outage) is counted and logged (<see cref="SessionRegistry{TState}.BackplaneMissedMessageCount"/>).
/// </para>
/// <para>
/// So an implementation must deliver the messages of one publisher in the order they were published, may lose messages
/// while it is down, and may deliver a message twice after a retried publish.
/// </para>
/// </remarks>
public interface ISessionBackplane
{
    /// <summary>
    /// Gets whether messages currently reach the other instances (the bus is connected and this instance's
    /// subscription is live). Shown as <see cref="SessionRegistry{TState}.IsBackplaneConnected"/>.
    /// </summary>
    bool IsConnected { get; }

    /// <summary>
    /// Starts delivering every message published through this backplane by any instance to <paramref name="receive"/>.
    /// Calls come one at a time, never concurrently; the bytes are valid only during the call.
    /// </summary>
    /// <param name="receive">Takes one message. It does not block: it only queues the message for local members.</param>
    /// <returns>Disposing it stops the delivery.</returns>
    IDisposable Subscribe(Action<ReadOnlyMemory<byte>> receive);

    /// <summary>
    /// Publishes <paramref name="message"/> to every subscribed instance. The registry never calls it concurrently and
    /// calls it again with the same bytes when it throws (after <see cref="SessionRegistryOptions.BackplaneRetryDelay"/>).
    /// </summary>
    /// <param name="message">The message; copy it if it is needed after the returned task completes.</param>
    /// <param name="cancellationToken">Cancels the publish (the registry is being disposed).</param>
    /// <returns>A task that completes when the bus has taken the message.</returns>
    /// <exception cref="Exception">Any exception means the bus is unreachable; the registry logs it and retries.</exception>
    ValueTask PublishAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);
}
