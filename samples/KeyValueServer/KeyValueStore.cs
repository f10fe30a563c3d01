using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using TcpToolkit.Messaging;

namespace TcpToolkit.Samples.KeyValueServer;

/// <summary>
/// The key-value commands, one per request, in UTF-8 text: <c>GET key</c>, <c>SET key value</c>, <c>DEL key</c>.
/// Replies: <c>OK</c>, <c>OK value</c> or <c>NOT_FOUND</c>. A malformed command throws, which the client receives
/// as a <see cref="RemoteHandlerException"/>; the connection stays up.
/// </summary>
public sealed class KeyValueStore
{
    private readonly ConcurrentDictionary<string, byte[]> _values = new(StringComparer.Ordinal);

    /// <summary>Number of keys stored.</summary>
    public int Count => _values.Count;

    /// <summary>Runs one command and writes the reply.</summary>
    public void Execute(ReadOnlySpan<byte> command, IBufferWriter<byte> reply)
    {
        var firstSpace = command.IndexOf((byte)' ');
        if (firstSpace <= 0)
        {
            throw new FormatException("Expected GET key, SET key value or DEL key.");
        }

        var verb = command[..firstSpace];
        var rest = command[(firstSpace + 1)..];
        if (verb.SequenceEqual("GET"u8))
        {
            if (_values.TryGetValue(Encoding.UTF8.GetString(rest), out var value))
            {
                reply.Write("OK "u8);
                reply.Write(value);
            }
            else
            {
                reply.Write("NOT_FOUND"u8);
            }
        }
        else if (verb.SequenceEqual("SET"u8))
        {
            var space = rest.IndexOf((byte)' ');
            if (space <= 0)
            {
                throw new FormatException("Expected SET key value.");
            }

            _values[Encoding.UTF8.GetString(rest[..space])] = rest[(space + 1)..].ToArray();
            reply.Write("OK"u8);
        }
        else if (verb.SequenceEqual("DEL"u8))
        {
            reply.Write(_values.TryRemove(Encoding.UTF8.GetString(rest), out _) ? "OK"u8 : "NOT_FOUND"u8);
        }
        else
        {
            throw new FormatException("Unknown command " + Encoding.UTF8.GetString(verb) + ".");
        }
    }
}
