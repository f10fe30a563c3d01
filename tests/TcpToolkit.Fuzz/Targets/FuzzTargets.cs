using System.Buffers;
using System.Text;

namespace TcpToolkit.Fuzz;

/// <summary>
/// Every fuzz target: one per decoder configuration worth telling apart. Limits are small (a few hundred bytes to
/// a few KiB) so that the too-large paths are reachable by short inputs.
/// </summary>
internal static partial class FuzzTargets
{
    private static readonly Lazy<IReadOnlyList<FuzzTarget>> s_all = new(CreateAll);

    /// <summary>Gets all targets, in the order fuzz.sh all runs them.</summary>
    public static IReadOnlyList<FuzzTarget> All => s_all.Value;

    /// <summary>Finds a target by its command-line name.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));

    private static List<FuzzTarget> CreateAll()
    {
        var targets = new List<FuzzTarget>();
        AddFramingTargets(targets);
        targets.Add(JsonHeader());
        return targets;
    }

    /// <summary>The generic codecs of <see cref="TcpToolkit.Framing"/>; filled in by FuzzTargets.Framing.cs.</summary>
    static partial void AddFramingTargets(List<FuzzTarget> targets);

    /// <summary>Encodes <paramref name="count"/> frames back to back with an encoder's Encode, recording where each length field is.</summary>
    private static ValidInput EncodeFrames<TFrame>(
        Action<TFrame, IBufferWriter<byte>> encode,
        int count,
        Func<int, TFrame> createFrame,
        int lengthFieldOffset,
        int lengthFieldSize)
    {
        var writer = new ArrayBufferWriter<byte>();
        var lengthFields = new List<(int Offset, int Size)>();
        for (int i = 0; i < count; i++)
        {
            if (lengthFieldSize > 0)
            {
                lengthFields.Add((writer.WrittenCount + lengthFieldOffset, lengthFieldSize));
            }

            encode(createFrame(i), writer);
        }

        return new ValidInput(writer.WrittenSpan.ToArray(), count, lengthFields);
    }

    /// <summary>Random bytes, biased towards the bytes framings give meaning to (delimiters, markers, zero).</summary>
    private static byte[] RandomPayload(Random random, int maxLength)
    {
        var payload = new byte[random.Next(maxLength + 1)];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = random.Next(8) switch
            {
                0 => (byte)"\r\n\0\u0002\u0003|"[random.Next(6)],
                _ => (byte)random.Next(256),
            };
        }

        return payload;
    }

    /// <summary>Random text with the characters JSON escapes and characters outside ASCII.</summary>
    private static string RandomText(Random random, int maxLength)
    {
        const string Alphabet = "abcXYZ019 \"\\/\b\f\n\r\t\u0001\u007f\u00e9\u20ac";
        var text = new StringBuilder();
        int length = random.Next(maxLength + 1);
        for (int i = 0; i < length; i++)
        {
            if (random.Next(16) == 0)
            {
                text.Append("\U0001F430");
            }
            else
            {
                text.Append(Alphabet[random.Next(Alphabet.Length)]);
            }
        }

        return text.ToString();
    }

    private static KeyValuePair<string, byte[]> Case(string name, byte[] data) => new(name, data);

    private static KeyValuePair<string, byte[]> Case(string name, string ascii) => new(name, Encoding.UTF8.GetBytes(ascii));
}
