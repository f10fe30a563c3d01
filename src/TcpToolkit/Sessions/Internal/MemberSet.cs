namespace TcpToolkit.Sessions.Internal;

/// <summary>
/// The members of a group (or of the whole registry), guarded by the registry's lock. Broadcasts fan out over an
/// array snapshot taken under the lock and used outside it; the snapshot is rebuilt only after the membership changed,
/// so a broadcast to an unchanged group allocates nothing and joins and leaves cost O(1).
/// </summary>
internal sealed class MemberSet<T>
    where T : class
{
    private readonly HashSet<T> _members = new(ReferenceEqualityComparer.Instance);
    private T[]? _snapshot;

    public int Count => _members.Count;

    public bool Add(T member)
    {
        if (!_members.Add(member))
        {
            return false;
        }

        _snapshot = null;
        return true;
    }

    public bool Remove(T member)
    {
        if (!_members.Remove(member))
        {
            return false;
        }

        _snapshot = null;
        return true;
    }

    /// <summary>Gets the members as an array that never changes (a new one after each change). Call under the lock.</summary>
    public T[] Snapshot()
    {
        if (_snapshot is null)
        {
            var members = new T[_members.Count];
            _members.CopyTo(members);
            _snapshot = members;
        }

        return _snapshot;
    }
}
