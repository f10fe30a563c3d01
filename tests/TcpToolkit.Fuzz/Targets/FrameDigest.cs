using System.Buffers;
using System.Text;

namespace TcpToolkit.Fuzz;

/// <summary>
/// A running hash of decoded frames, so the frames of one feeding can be compared with another's without keeping
/// them (a frame that slices the input is valid only until the reader advances). It is <see cref="HashCode"/>, so
/// values differ between processes: compare them only within one run.
/// </summary>
internal sealed class FrameDigest
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    private HashCode _hash;

    /// <summary>Gets the hash of everything added so far.</summary>
    public ulong Value => (uint)_hash.ToHashCode();

    /// <summary>
    /// The FNV-1a hash of <paramref name="data"/>, the same in every process: split points derived from it let a
    /// saved crash replay exactly.
    /// </summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong hash = OffsetBasis;
        foreach (byte b in data)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }

    /// <summary>Adds bytes, prefixed by their length so that ["ab", "c"] and ["a", "bc"] differ.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        AddLength(data.Length);
        AddRaw(data);
    }

    /// <summary>Adds the bytes of a possibly multi-segment sequence, prefixed by its length.</summary>
    public void Add(in ReadOnlySequence<byte> data)
    {
        AddLength(data.Length);
        if (data.IsSingleSegment)
        {
            AddRaw(data.FirstSpan);
            return;
        }

        // HashCode.AddBytes depends on where the pieces are cut, so hash the frame in one piece.
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)data.Length);
        data.CopyTo(rented);
        AddRaw(rented.AsSpan(0, (int)data.Length));
        ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>Adds a string as UTF-16 code units; <see langword="null"/> differs from the empty string.</summary>
    public void Add(string? text)
    {
        if (text is null)
        {
            AddLength(-1);
            return;
        }

        Add(Encoding.Unicode.GetBytes(text));
    }

    private void AddLength(long length) => _hash.Add(length);

    private void AddRaw(ReadOnlySpan<byte> data) => _hash.AddBytes(data);
}
