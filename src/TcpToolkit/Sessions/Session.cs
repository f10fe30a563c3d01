using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Sessions.Internal;

namespace TcpToolkit.Sessions;

/// <summary>
/// One open connection in a <see cref="SessionRegistry{TState}"/>: its id, the application's typed state (a nickname,
/// an authenticated principal), the groups it joined, and its bounded send queue. The registry's middleware creates it
/// when the connection opens and puts it in the connection's features; the handler gets it with
/// <c>connection.GetFeature&lt;Session&lt;TState&gt;&gt;()</c>.
/// </summary>
/// <typeparam name="TState">The application's state for one connection; a reference type, so reads and writes from other threads are atomic.</typeparam>
/// <remarks>
/// Everything sent to a session goes through its send queue: broadcasts and <see cref="Send{TFrame}"/> alike, written in
/// order by one loop. Once a connection is a session, the handler must not write to <see cref="Connection.Output"/>
/// itself (two writers on one pipe interleave); it sends its replies with <see cref="Send{TFrame}"/>.
/// </remarks>
public sealed class Session<TState>
    where TState : class
{
    private readonly SessionRegistry<TState> _registry;
    private TState? _state;

    internal Session(SessionRegistry<TState> registry, Connection connection, SessionsContext context)
    {
        _registry = registry;
        Connection = connection;
        Outbox = new SessionOutbox(connection, context);
    }

    /// <summary>Gets the session's id: the connection's id, unique in the process and so on the server.</summary>
    public string Id => Connection.Id;

    /// <summary>Gets the connection.</summary>
    public Connection Connection { get; }

    /// <summary>Gets or sets the application's state for this session. It is <see langword="null"/> until the application sets it.</summary>
    public TState? State
    {
        get => Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, value);
    }

    /// <summary>Gets the number of messages waiting in the send queue.</summary>
    public int QueuedMessageCount => Outbox.Queue.Count;

    /// <summary>Gets the number of messages for this session that its full send queue dropped (see <see cref="SendQueueFullPolicy"/>).</summary>
    public long DroppedMessageCount => Outbox.Queue.Dropped;

    internal SessionOutbox Outbox { get; }

    /// <summary>Guarded by the registry's lock.</summary>
    internal HashSet<string> GroupNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Guarded by the registry's lock: the session left the registry and joins nothing more.</summary>
    internal bool Removed { get; set; }

    /// <summary>Joins <paramref name="group"/>, creating it if it is new. A session can be in many groups.</summary>
    /// <param name="group">The group's name (ordinal, case-sensitive; 1 to 1024 characters).</param>
    /// <returns><see langword="true"/> when it joined; <see langword="false"/> when it was a member already or the session is closed.</returns>
    public bool Join(string group) => _registry.Join(this, group);

    /// <summary>Leaves <paramref name="group"/>; the group disappears with its last member. Closing leaves every group.</summary>
    /// <param name="group">The group's name.</param>
    /// <returns><see langword="true"/> when it left; <see langword="false"/> when it was not a member.</returns>
    public bool Leave(string group) => _registry.Leave(this, group);

    /// <summary>Gets the names of the groups this session is in now.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<string> GetGroups() => _registry.GetGroups(this);

    /// <summary>
    /// Queues one frame for this session only (a reply), behind the broadcasts already queued for it. Never waits: a
    /// full queue applies <see cref="SessionRegistryOptions.SendQueueFullPolicy"/>, as for a broadcast.
    /// </summary>
    /// <typeparam name="TFrame">The type of frame the encoder consumes.</typeparam>
    /// <param name="encoder">The codec's encoder.</param>
    /// <param name="frame">The frame.</param>
    /// <returns><see langword="true"/> when the frame was queued.</returns>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public bool Send<TFrame>(IFrameEncoder<TFrame> encoder, TFrame frame) => _registry.SendTo(this, encoder, frame);

    /// <summary>
    /// Closes the session gracefully: it leaves its groups, the messages queued for it are written (within
    /// <see cref="SessionRegistryOptions.DrainTimeout"/>), then the connection closes (see <see cref="Connection.CloseAsync"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the connection's close and aborts it.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        await _registry.RemoveAsync(this).ConfigureAwait(false);
        await Connection.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => Connection.ToString();

    /// <summary>The connection closed under a running handler: leave every group at once, drop what is queued.</summary>
    internal void OnConnectionClosed()
    {
        _registry.Remove(this);
        Outbox.Stop();
    }
}
