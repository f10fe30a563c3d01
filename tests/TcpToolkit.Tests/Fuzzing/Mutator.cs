using TcpToolkit.Fuzz;

namespace TcpToolkit.Tests.Fuzzing;

/// <summary>
/// Turns valid encoded frames into hostile input: bit flips, interesting byte values, inserted, deleted and
/// duplicated ranges, long runs of one byte, truncation, and corrupted length fields. Deterministic for a given <see cref="Random"/>.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] s_interestingBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];

    private static readonly ulong[] s_interestingValues =
        [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, long.MaxValue, ulong.MaxValue];

    /// <summary>Applies one to four random mutations to a copy of <paramref name="valid"/>'s bytes.</summary>
    public static byte[] Mutate(Random random, ValidInput valid)
    {
        var data = new List<byte>(valid.Bytes);
        int mutations = random.Next(1, 5);
        for (int i = 0; i < mutations; i++)
        {
            switch (random.Next(10))
            {
                case 0 when data.Count > 0:
                    data[random.Next(data.Count)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[random.Next(data.Count)] = s_interestingBytes[random.Next(s_interestingBytes.Length)];
                    break;
                case 2:
                    data.InsertRange(random.Next(data.Count + 1), RandomBytes(random, random.Next(1, 9)));
                    break;
                case 3 when data.Count > 0:
                    {
                        int start = random.Next(data.Count);
                        data.RemoveRange(start, random.Next(1, Math.Min(16, data.Count - start) + 1));
                        break;
                    }

                case 4 when data.Count > 0:
                    {
                        int start = random.Next(data.Count);
                        List<byte> range = data.GetRange(start, random.Next(1, Math.Min(64, data.Count - start) + 1));
                        data.InsertRange(random.Next(data.Count + 1), range);
                        break;
                    }

                case 5 when data.Count > 0:
                    {
                        int keep = random.Next(data.Count);
                        data.RemoveRange(keep, data.Count - keep);
                        break;
                    }

                case 6:
                    // A long run of one byte: lines and marked frames past their maximum length.
                    data.InsertRange(random.Next(data.Count + 1), Enumerable.Repeat(RandomBytes(random, 1)[0], random.Next(32, 320)));
                    break;
                case 7 or 8 when valid.LengthFields.Count > 0:
                    {
                        // The length field of one frame, if the earlier mutations left it in place.
                        (int offset, int size) = valid.LengthFields[random.Next(valid.LengthFields.Count)];
                        if (offset + size <= data.Count)
                        {
                            WriteValue(data, offset, size, CorruptLength(random, data, offset, size), bigEndian: random.Next(2) == 0);
                        }

                        break;
                    }

                default:
                    {
                        // An interesting integer anywhere: where a length field is for formats that have one elsewhere.
                        int size = new[] { 1, 2, 3, 4, 8 }[random.Next(5)];
                        if (data.Count >= size)
                        {
                            ulong value = s_interestingValues[random.Next(s_interestingValues.Length)];
                            WriteValue(data, random.Next(data.Count - size + 1), size, value, bigEndian: random.Next(2) == 0);
                        }

                        break;
                    }
            }
        }

        return [.. data];
    }

    private static ulong CorruptLength(Random random, List<byte> data, int offset, int size)
    {
        ulong current = 0;
        for (int i = 0; i < size; i++)
        {
            current = (current << 8) | data[offset + i];
        }

        return random.Next(3) switch
        {
            0 => s_interestingValues[random.Next(s_interestingValues.Length)],
            1 => current + (ulong)random.Next(-4, 5),
            _ => (ulong)random.Next(0, 2048),
        };
    }

    private static void WriteValue(List<byte> data, int offset, int size, ulong value, bool bigEndian)
    {
        for (int i = 0; i < size; i++)
        {
            int shift = 8 * (bigEndian ? size - 1 - i : i);
            data[offset + i] = (byte)(value >> shift);
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            bytes[i] = random.Next(2) == 0 ? s_interestingBytes[random.Next(s_interestingBytes.Length)] : (byte)random.Next(256);
        }

        return bytes;
    }
}
