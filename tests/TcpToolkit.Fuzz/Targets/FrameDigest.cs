using System.Buffers;
using System.Text;

namespace TcpToolkit.Fuzz;

/// <summary>
/// A running FNV-1a hash of decoded frames, so the frames of one feeding can be compared with another's without
/// keeping them (a frame that slices the input is valid only until the reader advances).
/// </summary>
internal sealed class FrameDigest
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    /// <summary>Gets the hash of everything added so far.</summary>
    public ulong Value { get; private set; } = OffsetBasis;

    /// <summary>Hashes <paramref name="data"/> on its own; used to derive split points from a fuzz input.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        var digest = new FrameDigest();
        digest.Add(data);
        return digest.Value;
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
        foreach (ReadOnlyMemory<byte> segment in data)
        {
            AddRaw(segment.Span);
        }
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

    private void AddLength(long length)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(bytes, length);
        AddRaw(bytes);
    }

    private void AddRaw(ReadOnlySpan<byte> data)
    {
        ulong hash = Value;
        foreach (byte b in data)
        {
            hash = (hash ^ b) * Prime;
        }

        Value = hash;
    }
}
