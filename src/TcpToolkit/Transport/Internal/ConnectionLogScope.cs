using System.Collections;

namespace TcpToolkit.Transport.Internal;

/// <summary>
/// The logging scope a connection's handler (and a client's middleware) runs in, as Kestrel's <c>ConnectionLogScope</c>:
/// one property, <c>ConnectionId</c>, so every event logged meanwhile through the same logger factory (the
/// application's own included) names its connection. Created only when the factory's loggers are enabled at all.
/// </summary>
internal sealed class ConnectionLogScope(string connectionId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private string? _text;

    public string ConnectionId { get; } = connectionId;

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] => index == 0
        ? new KeyValuePair<string, object?>(nameof(ConnectionId), ConnectionId)
        : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _text ??= "ConnectionId:" + ConnectionId;
}
