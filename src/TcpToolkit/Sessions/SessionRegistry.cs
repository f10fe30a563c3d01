using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Sessions.Internal;

namespace TcpToolkit.Sessions;

/// <summary>
/// The open connections of a server as sessions: enumerate them, find one by id, give each a typed state, put them in
/// named groups, and broadcast a frame to all of them, to a group, or to all but one. It plugs into a server as
/// connection middleware (<see cref="Middleware"/>), so it works with <c>TcpServer</c> and <c>InMemoryServer</c> alike;
/// with a <see cref="SessionRegistryOptions.Backplane"/>, broadcasts reach the members on every server instance.
/// </summary>
/// <typeparam name="TState">The application's state for one session (<see cref="Session{TState}.State"/>).</typeparam>
/// <example>
/// <code>
/// var sessions = new SessionRegistry&lt;ChatUser&gt;();
/// options.Middleware.Use(sessions.Middleware);
/// // in the handler:
/// var session = connection.GetFeature&lt;Session&lt;ChatUser&gt;&gt;()!;
/// session.Join("lobby");
/// ReadOnlyMemory&lt;byte&gt; hello = "hello"u8.ToArray();
/// sessions.BroadcastToGroup("lobby", lineEncoder, hello);
/// </code>
/// </example>
/// <remarks>
/// <para>
/// <b>Broadcast.</b> A broadcast encodes the frame once into a pooled buffer and puts that one buffer in each member's
/// bounded send queue; each member's own loop copies it into its connection's pipe. The caller never waits for a
/// member: a member whose queue is full is handled by <see cref="SessionRegistryOptions.SendQueueFullPolicy"/>
/// (counted in <see cref="DroppedMessageCount"/> and <see cref="DisconnectedSessionCount"/>, logged once per episode),
/// so one member that never reads slows no other and holds at most its queue's bound. In steady state a broadcast
/// allocates nothing per member. A single caller's broadcasts reach each member in call order.
/// </para>
/// <para>
/// <b>Many instances.</b> With a backplane, each broadcast is delivered to the local members at once and published to
/// the backplane; the other instances deliver it to their members (every target: all, all but one, a group). Each
/// member gets it exactly once and the messages of one instance in the order it published them; while the backplane
/// is down, local delivery goes on, publishing is retried (<see cref="IsBackplaneConnected"/> shows the state, the log
/// says when it failed and when it came back) and messages that could not wait are counted
/// (<see cref="BackplaneDroppedMessageCount"/>, <see cref="BackplaneMissedMessageCount"/>).
/// </para>
/// <para>
/// <b>Other payloads.</b> Any <see cref="IFrameEncoder{TFrame}"/> is a way in: a frame of any codec, bytes encoded
/// beforehand (an encoder that copies them), or a message envelope written by a higher layer's encoder.
/// </para>
/// </remarks>
public sealed class SessionRegistry<TState> : IAsyncDisposable
    where TState : class
{
    /// <summary>The longest group name, in characters (its UTF-8 form must fit the backplane's 16-bit length).</summary>
    private const int MaxGroupNameLength = 1024;

    private readonly Lock _sync = new();
    private readonly Dictionary<string, Session<TState>> _byId = new(StringComparer.Ordinal);
    private readonly MemberSet<Session<TState>> _all = new();
    private readonly Dictionary<string, MemberSet<Session<TState>>> _groups = new(StringComparer.Ordinal);
    private readonly SessionsContext _context;
    private readonly ISessionBackplane? _backplane;
    private readonly BackplanePublisher? _publisher;
    private readonly IDisposable? _subscription;
    private readonly Lock _originsLock = new();
    private readonly Dictionary<Guid, ulong> _lastSequenceByOrigin = [];
    private long _missed;
    private long _duplicates;
    private int _disposed;

    /// <summary>Creates a registry.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults. They are read once, here.</param>
    public SessionRegistry(SessionRegistryOptions? options = null)
    {
        options ??= new SessionRegistryOptions();
        _context = new SessionsContext(options, options.LoggerFactory.CreateLogger("TcpToolkit.Sessions.SessionRegistry"));
        Middleware = next =>
        {
            ArgumentNullException.ThrowIfNull(next);
            return (connection, cancellationToken) => ServeAsync(next, connection, cancellationToken);
        };
        _backplane = options.Backplane;
        if (_backplane is not null)
        {
            _publisher = new BackplanePublisher(_backplane, Guid.NewGuid(), options, _context.Pool, _context.Logger);
            _subscription = _backplane.Subscribe(OnBackplaneMessage);
        }
    }

    /// <summary>
    /// Gets the connection middleware that makes each connection a session for as long as the rest of the pipeline
    /// runs: <c>options.Middleware.Use(registry.Middleware)</c>. Put it after the middleware that changes the transport
    /// (TLS), so the sessions write to the outermost layer.
    /// </summary>
    public Func<ConnectionHandler, ConnectionHandler> Middleware { get; }

    /// <summary>Gets the number of open sessions on this instance.</summary>
    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>Gets the number of messages that members' full send queues dropped (every policy counts here).</summary>
    public long DroppedMessageCount => _context.Dropped;

    /// <summary>Gets the number of sessions disconnected because their send queue was full (<see cref="SendQueueFullPolicy.Disconnect"/>).</summary>
    public long DisconnectedSessionCount => _context.Disconnected;

    /// <summary>
    /// Gets whether broadcasts currently reach the other instances: the backplane says it is connected and the last
    /// publish did not fail. <see langword="false"/> without a backplane.
    /// </summary>
    public bool IsBackplaneConnected => _backplane is not null && _backplane.IsConnected && _publisher is { IsFailing: false };

    /// <summary>Gets the number of this instance's broadcasts dropped from its full backplane queue (they reached no other instance).</summary>
    public long BackplaneDroppedMessageCount => _publisher?.Dropped ?? 0;

    /// <summary>Gets the number of other instances' broadcasts this instance never received (gaps in their numbering).</summary>
    public long BackplaneMissedMessageCount => Volatile.Read(ref _missed);

    /// <summary>Gets the frame buffers broadcasts hold now (queued or being written): what broadcasting costs in memory.</summary>
    internal long LiveFrames => _context.Pool.LiveFrames;

    /// <summary>Gets the backplane duplicates dropped (a retried publish that had gone through).</summary>
    internal long BackplaneDuplicateCount => Volatile.Read(ref _duplicates);

    /// <summary>Gets the messages waiting for the backplane.</summary>
    internal int BackplaneQueued => _publisher?.Queued ?? 0;

    /// <summary>Gets a snapshot of the open sessions.</summary>
    /// <returns>The sessions open now.</returns>
    public IReadOnlyList<Session<TState>> GetSessions()
    {
        lock (_sync)
        {
            return _all.Snapshot();
        }
    }

    /// <summary>Finds an open session by its id (<see cref="Session{TState}.Id"/>).</summary>
    /// <param name="id">The id.</param>
    /// <param name="session">The session, or <see langword="null"/>.</param>
    /// <returns>Whether a session with that id is open.</returns>
    public bool TryGetSession(string id, [NotNullWhen(true)] out Session<TState>? session)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_sync)
        {
            return _byId.TryGetValue(id, out session);
        }
    }

    /// <summary>Gets the number of this instance's sessions in <paramref name="group"/> (0 for a group that does not exist).</summary>
    /// <param name="group">The group's name.</param>
    /// <returns>The number of local members.</returns>
    public int GetGroupMemberCount(string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (_sync)
        {
            return _groups.TryGetValue(group, out var members) ? members.Count : 0;
        }
    }

    /// <summary>Gets a snapshot of this instance's sessions in <paramref name="group"/>.</summary>
    /// <param name="group">The group's name.</param>
    /// <returns>The local members; empty for a group that does not exist.</returns>
    public IReadOnlyList<Session<TState>> GetGroupMembers(string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (_sync)
        {
            return _groups.TryGetValue(group, out var members) ? members.Snapshot() : [];
        }
    }

    /// <summary>Gets the names of the groups that have at least one member on this instance.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<string> GetGroupNames()
    {
        lock (_sync)
        {
            return [.. _groups.Keys];
        }
    }

    /// <summary>Broadcasts a frame to every session (on every instance, with a backplane).</summary>
    /// <typeparam name="TFrame">The type of frame the encoder consumes.</typeparam>
    /// <param name="encoder">The codec's encoder; it runs once.</param>
    /// <param name="frame">The frame.</param>
    /// <returns>The number of local sessions whose queue took the frame.</returns>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public int Broadcast<TFrame>(IFrameEncoder<TFrame> encoder, TFrame frame) => Send(null, null, encoder, frame);

    /// <summary>Broadcasts a frame to every session but <paramref name="except"/> (on every instance, with a backplane).</summary>
    /// <typeparam name="TFrame">The type of frame the encoder consumes.</typeparam>
    /// <param name="except">The session left out, typically the sender.</param>
    /// <param name="encoder">The codec's encoder; it runs once.</param>
    /// <param name="frame">The frame.</param>
    /// <returns>The number of local sessions whose queue took the frame.</returns>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public int BroadcastExcept<TFrame>(Session<TState> except, IFrameEncoder<TFrame> encoder, TFrame frame)
    {
        ArgumentNullException.ThrowIfNull(except);
        return Send(null, except, encoder, frame);
    }

    /// <summary>Broadcasts a frame to the members of <paramref name="group"/> (on every instance, with a backplane).</summary>
    /// <typeparam name="TFrame">The type of frame the encoder consumes.</typeparam>
    /// <param name="group">The group's name.</param>
    /// <param name="encoder">The codec's encoder; it runs once.</param>
    /// <param name="frame">The frame.</param>
    /// <param name="except">A member left out, or <see langword="null"/>.</param>
    /// <returns>The number of local members whose queue took the frame.</returns>
    /// <exception cref="FrameTooLargeException">The frame is longer than the encoder allows.</exception>
    public int BroadcastToGroup<TFrame>(string group, IFrameEncoder<TFrame> encoder, TFrame frame, Session<TState>? except = null)
    {
        ValidateGroup(group);
        return Send(group, except, encoder, frame);
    }

    /// <summary>
    /// Stops using the backplane (unsubscribes; broadcasts still waiting to be published are dropped). The sessions stay
    /// open: they belong to the server.
    /// </summary>
    /// <returns>A task that completes when the backplane publisher has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _subscription?.Dispose();
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal bool Join(Session<TState> session, string group)
    {
        ValidateGroup(group);
        lock (_sync)
        {
            if (session.Removed || !session.GroupNames.Add(group))
            {
                return false;
            }

            if (!_groups.TryGetValue(group, out var members))
            {
                _groups[group] = members = new MemberSet<Session<TState>>();
            }

            members.Add(session);
            return true;
        }
    }

    internal bool Leave(Session<TState> session, string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (_sync)
        {
            if (!session.GroupNames.Remove(group))
            {
                return false;
            }

            LeaveLocked(session, group);
            return true;
        }
    }

    internal IReadOnlyList<string> GetGroups(Session<TState> session)
    {
        lock (_sync)
        {
            return [.. session.GroupNames];
        }
    }

    internal bool SendTo<TFrame>(Session<TState> session, IFrameEncoder<TFrame> encoder, TFrame frame)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var shared = _context.Pool.Rent();
        try
        {
            encoder.Encode(frame, shared);
            return session.Outbox.Offer(shared);
        }
        finally
        {
            shared.Release();
        }
    }

    /// <summary>Takes the session out of the registry and its groups, then lets it write what is queued (bounded).</summary>
    internal async Task RemoveAsync(Session<TState> session)
    {
        Remove(session);
        await session.Outbox.CompleteAsync().ConfigureAwait(false);
    }

    private static void ValidateGroup(string group)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(group.Length, MaxGroupNameLength, nameof(group));
    }

    private async Task ServeAsync(ConnectionHandler next, Connection connection, CancellationToken cancellationToken)
    {
        var session = new Session<TState>(this, connection, _context);
        lock (_sync)
        {
            if (!_byId.TryAdd(session.Id, session))
            {
                throw new InvalidOperationException($"Connection {session.Id} is already a session of this registry.");
            }

            _all.Add(session);
        }

        session.Outbox.Start();
        SessionsLog.SessionOpened(_context.Logger, session.Id, connection.RemoteEndPoint);
        connection.SetFeature(session);

        // A connection that closes under a running handler leaves its groups at once and drops what is queued for it.
        var closed = connection.ConnectionClosed.Register(static state => ((Session<TState>)state!).OnConnectionClosed(), session);
        try
        {
            await next(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await closed.DisposeAsync().ConfigureAwait(false);
            await RemoveAsync(session).ConfigureAwait(false);
            connection.SetFeature<Session<TState>>(null);
        }
    }

    /// <summary>Takes the session out of the registry and every group it joined; idempotent.</summary>
    internal void Remove(Session<TState> session)
    {
        lock (_sync)
        {
            if (session.Removed)
            {
                return;
            }

            session.Removed = true;
            _byId.Remove(session.Id);
            _all.Remove(session);
            foreach (var group in session.GroupNames)
            {
                LeaveLocked(session, group);
            }

            session.GroupNames.Clear();
        }

        SessionsLog.SessionClosed(_context.Logger, session.Id, session.DroppedMessageCount);
    }

    private void LeaveLocked(Session<TState> session, string group)
    {
        if (_groups.TryGetValue(group, out var members) && members.Remove(session) && members.Count == 0)
        {
            _groups.Remove(group);
        }
    }

    private int Send<TFrame>(string? group, Session<TState>? except, IFrameEncoder<TFrame> encoder, TFrame frame)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var shared = _context.Pool.Rent();
        try
        {
            encoder.Encode(frame, shared);
            var queued = DeliverLocally(group, except, shared);
            if (_publisher is not null)
            {
                var message = _context.Pool.Rent();
                try
                {
                    BackplaneEnvelope.WriteHeader(message, _publisher.Origin, group);
                    message.Write(shared.Memory.Span);
                    _publisher.Publish(message);
                }
                finally
                {
                    message.Release();
                }
            }

            return queued;
        }
        finally
        {
            shared.Release();
        }
    }

    private int DeliverLocally(string? group, Session<TState>? except, SharedFrame frame)
    {
        Session<TState>[] members;
        lock (_sync)
        {
            if (group is null)
            {
                members = _all.Snapshot();
            }
            else if (_groups.TryGetValue(group, out var set))
            {
                members = set.Snapshot();
            }
            else
            {
                return 0;
            }
        }

        var queued = 0;
        foreach (var member in members)
        {
            if (!ReferenceEquals(member, except) && member.Outbox.Offer(frame))
            {
                queued++;
            }
        }

        return queued;
    }

    private void OnBackplaneMessage(ReadOnlyMemory<byte> message)
    {
        try
        {
            var batch = message.Span;
            while (BackplaneEnvelope.TryNext(ref batch, out var envelope, out _))
            {
                Receive(envelope);
            }

            if (batch.Length > 0 || message.IsEmpty)
            {
                SessionsLog.BackplaneMessageMalformed(_context.Logger, message.Length);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Never throw into the backplane's delivery loop: one bad message must not stop the next.
            SessionsLog.BackplaneDeliveryFailed(_context.Logger, ex);
        }
    }

    private void Receive(ReadOnlySpan<byte> envelope)
    {
        if (!BackplaneEnvelope.TryRead(envelope, out var origin, out var sequence, out var group, out var payloadOffset))
        {
            SessionsLog.BackplaneMessageMalformed(_context.Logger, envelope.Length);
            return;
        }

        if (origin == _publisher!.Origin || !IsNext(origin, sequence))
        {
            // Our own broadcast (delivered locally when it was sent), or a duplicate of a retried publish.
            return;
        }

        var shared = _context.Pool.Rent();
        try
        {
            shared.Write(envelope[payloadOffset..]);
            DeliverLocally(group, except: null, shared);
        }
        finally
        {
            shared.Release();
        }
    }

    /// <summary>Whether <paramref name="sequence"/> is new from <paramref name="origin"/>; counts and logs a gap.</summary>
    private bool IsNext(Guid origin, ulong sequence)
    {
        ulong last;
        lock (_originsLock)
        {
            if (_lastSequenceByOrigin.TryGetValue(origin, out last) && sequence <= last)
            {
                Interlocked.Increment(ref _duplicates);
                return false;
            }

            _lastSequenceByOrigin[origin] = sequence;
        }

        // The first message from an instance starts its numbering here (it may have published before this one started).
        if (last != 0 && sequence > last + 1)
        {
            var missed = sequence - last - 1;
            Interlocked.Add(ref _missed, (long)missed);
            SessionsLog.BackplaneMessagesMissed(_context.Logger, origin, missed, last + 1, sequence);
        }

        return true;
    }
}
