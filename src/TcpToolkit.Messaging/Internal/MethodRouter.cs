using System.Buffers;
using System.Text;

namespace TcpToolkit.Messaging.Internal;

/// <summary>
/// Finds the handler of a method name straight from its UTF-8 bytes (decoded on the stack, looked up through the
/// dictionary's span lookup), so routing allocates nothing per request. Names sent to the fallback handler are
/// remembered (up to a bound) for the same reason.
/// </summary>
internal sealed class MethodRouter
{
    private const int MaxRemembered = 1024;

    private readonly Dictionary<string, Func<RequestContext, CancellationToken, ValueTask>> _routes;
    private readonly Dictionary<string, Func<RequestContext, CancellationToken, ValueTask>>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Func<RequestContext, CancellationToken, ValueTask>? _fallback;
    private readonly Lock _namesLock = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _nameLookup;

    public MethodRouter(IReadOnlyDictionary<string, Func<RequestContext, CancellationToken, ValueTask>> routes, Func<RequestContext, CancellationToken, ValueTask>? fallback)
    {
        _routes = new Dictionary<string, Func<RequestContext, CancellationToken, ValueTask>>(routes, StringComparer.Ordinal);
        _lookup = _routes.GetAlternateLookup<ReadOnlySpan<char>>();
        _nameLookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        _fallback = fallback;
    }

    /// <summary>
    /// Resolves a method; <paramref name="handler"/> is null for an unknown method without a fallback.
    /// <paramref name="routed"/> says whether the method is one of the mapped routes (the only names the metrics
    /// record: the fallback's are whatever the peer sends).
    /// </summary>
    public string Resolve(in ReadOnlySequence<byte> utf8, out Func<RequestContext, CancellationToken, ValueTask>? handler, out bool routed)
    {
        if (utf8.IsEmpty)
        {
            routed = _routes.TryGetValue(string.Empty, out var empty);
            handler = routed ? empty : _fallback;
            return string.Empty;
        }

        Span<byte> bytes = stackalloc byte[Wire.MaxMethodLength];
        scoped ReadOnlySpan<byte> name;
        if (utf8.IsSingleSegment)
        {
            name = utf8.FirstSpan;
        }
        else
        {
            utf8.CopyTo(bytes);
            name = bytes[..(int)utf8.Length];
        }

        Span<char> chars = stackalloc char[Wire.MaxMethodLength];
        var count = Encoding.UTF8.GetChars(name, chars);
        var key = chars[..count];
        if (_lookup.TryGetValue(key, out var method, out var route))
        {
            handler = route;
            routed = true;
            return method;
        }

        handler = _fallback;
        routed = false;
        lock (_namesLock)
        {
            if (_nameLookup.TryGetValue(key, out var known))
            {
                return known;
            }

            var created = key.ToString();
            if (_names.Count < MaxRemembered)
            {
                _names.Add(created);
            }

            return created;
        }
    }
}
