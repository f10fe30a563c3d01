using System.Collections;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// The logging scope of a message session: <c>ConnectionId</c>, the connection's id (as Kestrel's connection scope),
/// so a handler's own log events can be told apart by connection. Made once per connection.
/// </summary>
internal sealed class ConnectionLogScope(string connectionId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private string? _text;

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index]
        => index == 0 ? new KeyValuePair<string, object?>("ConnectionId", connectionId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _text ??= "ConnectionId:" + connectionId;
}
