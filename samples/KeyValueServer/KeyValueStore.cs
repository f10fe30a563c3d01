using System.Collections.Concurrent;
using TcpToolkit.Samples.KeyValue;

namespace TcpToolkit.Samples.KeyValueServer;

/// <summary>The key-value commands: get, set, delete. An empty key is a bad request (the handler throws).</summary>
public sealed class KeyValueStore
{
    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Number of keys stored.</summary>
    public int Count => _values.Count;

    /// <summary>Reads a key.</summary>
    public KeyValueReply Get(GetRequest request) => _values.TryGetValue(Validate(request.Key), out var value) ? new KeyValueReply(true, value) : new KeyValueReply(false, null);

    /// <summary>Sets a key.</summary>
    public KeyValueReply Set(SetRequest request)
    {
        _values[Validate(request.Key)] = request.Value;
        return new KeyValueReply(true, null);
    }

    /// <summary>Deletes a key.</summary>
    public KeyValueReply Delete(DeleteRequest request) => new(_values.TryRemove(Validate(request.Key), out _), null);

    private static string Validate(string key) => string.IsNullOrEmpty(key) ? throw new ArgumentException("A key must not be empty.", nameof(key)) : key;
}
