using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Messaging;

/// <summary>
/// The reply to a request: its payload in a pooled buffer that belongs to the caller until <see cref="Dispose"/>. No
/// allocation per reply: the buffer and the object behind it are reused by the next request once this is disposed,
/// so dispose it exactly once, and use <see cref="Payload"/> only before that (afterwards it throws).
/// </summary>
public readonly struct MessageReply : IDisposable, IEquatable<MessageReply>
{
    private readonly PendingRequest? _owner;
    private readonly short _version;

    internal MessageReply(PendingRequest owner, short version)
    {
        _owner = owner;
        _version = version;
    }

    /// <summary>Gets the reply's payload.</summary>
    /// <exception cref="ObjectDisposedException">The reply was disposed.</exception>
    public ReadOnlyMemory<byte> Payload => _owner is null ? ReadOnlyMemory<byte>.Empty : _owner.GetReplyPayload(_version);

    /// <summary>Gets the payload's length in bytes.</summary>
    public int Length => Payload.Length;

    /// <summary>Determines whether two replies are the same.</summary>
    /// <param name="left">The first reply.</param>
    /// <param name="right">The second reply.</param>
    /// <returns><see langword="true"/> when both refer to the same reply.</returns>
    public static bool operator ==(MessageReply left, MessageReply right) => left.Equals(right);

    /// <summary>Determines whether two replies differ.</summary>
    /// <param name="left">The first reply.</param>
    /// <param name="right">The second reply.</param>
    /// <returns><see langword="true"/> when they refer to different replies.</returns>
    public static bool operator !=(MessageReply left, MessageReply right) => !left.Equals(right);

    /// <summary>Returns the buffer to the pool. Idempotent for one reply.</summary>
    public void Dispose() => _owner?.ReleaseReply(_version);

    /// <inheritdoc />
    public bool Equals(MessageReply other) => ReferenceEquals(_owner, other._owner) && _version == other._version;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MessageReply other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_owner, _version);
}
