using System.Buffers;

namespace TcpToolkit.Tests.Framing.Infrastructure;

/// <summary>An <see cref="IBufferWriter{T}"/> that records each GetSpan/GetMemory and Advance, optionally capping span sizes.</summary>
internal sealed class RecordingBufferWriter(int maxSpan = int.MaxValue) : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _inner = new();

    public int GetCalls { get; private set; }

    public List<int> Advances { get; } = [];

    public byte[] Written => _inner.WrittenSpan.ToArray();

    public void Advance(int count)
    {
        Advances.Add(count);
        _inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        GetCalls++;
        var memory = _inner.GetMemory(Math.Min(sizeHint, maxSpan));
        return memory[..Math.Min(memory.Length, maxSpan)];
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
