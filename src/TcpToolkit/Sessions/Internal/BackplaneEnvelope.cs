using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TcpToolkit.Sessions.Internal;

/// <summary>
/// A broadcast as it crosses the backplane: the publishing instance, its sequence number, the target (every session, or
/// one group) and the encoded frame, so the other instances write the very bytes the publisher encoded without knowing
/// the codec. Layout (big endian): version (1 byte, 1), target (1 byte: 0 all, 1 group), origin instance (16 bytes),
/// sequence (8 bytes), then for a group its UTF-8 name's length (2 bytes) and the name, then the frame. One backplane
/// message carries a batch of envelopes, each behind its length (4 bytes, big endian).
/// </summary>
internal static class BackplaneEnvelope
{
    /// <summary>The most envelopes one backplane message carries.</summary>
    public const int MaxBatchMessages = 256;

    /// <summary>A batch is closed once it holds this many bytes.</summary>
    public const int MaxBatchBytes = 256 * 1024;

    public const byte Version = 1;
    public const int SequenceOffset = 18;
    private const byte TargetAll = 0;
    private const byte TargetGroup = 1;
    private const int FixedHeaderSize = 26;

    /// <summary>Writes the header with sequence 0; the publisher patches the number in when it queues the message.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, Guid origin, string? group)
    {
        var groupBytes = group is null ? 0 : Encoding.UTF8.GetByteCount(group);
        var size = FixedHeaderSize + (group is null ? 0 : 2 + groupBytes);
        var span = output.GetSpan(size);
        span[0] = Version;
        span[1] = group is null ? TargetAll : TargetGroup;
        origin.TryWriteBytes(span.Slice(2, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt64BigEndian(span.Slice(SequenceOffset, 8), 0);
        if (group is not null)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(FixedHeaderSize, 2), checked((ushort)groupBytes));
            Encoding.UTF8.GetBytes(group, span.Slice(FixedHeaderSize + 2, groupBytes));
        }

        output.Advance(size);
    }

    public static void WriteSequence(Span<byte> message, ulong sequence) =>
        BinaryPrimitives.WriteUInt64BigEndian(message.Slice(SequenceOffset, 8), sequence);

    /// <summary>Takes the next envelope of a batch; <see langword="false"/> at the end or for a truncated batch.</summary>
    public static bool TryNext(ref ReadOnlySpan<byte> batch, out ReadOnlySpan<byte> envelope, out bool malformed)
    {
        envelope = default;
        malformed = false;
        if (batch.IsEmpty)
        {
            return false;
        }

        if (batch.Length < 4 || BinaryPrimitives.ReadInt32BigEndian(batch) is var length && (length < 0 || length > batch.Length - 4))
        {
            malformed = true;
            return false;
        }

        envelope = batch.Slice(4, length);
        batch = batch[(4 + length)..];
        return true;
    }

    /// <summary>Reads a header; <see langword="false"/> for bytes that are not a version-1 envelope.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out Guid origin, out ulong sequence, out string? group, out int payloadOffset)
    {
        origin = default;
        sequence = 0;
        group = null;
        payloadOffset = 0;
        if (message.Length < FixedHeaderSize || message[0] != Version || message[1] > TargetGroup)
        {
            return false;
        }

        origin = new Guid(message.Slice(2, 16), bigEndian: true);
        sequence = BinaryPrimitives.ReadUInt64BigEndian(message.Slice(SequenceOffset, 8));
        payloadOffset = FixedHeaderSize;
        if (message[1] == TargetGroup)
        {
            if (message.Length < FixedHeaderSize + 2)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(FixedHeaderSize, 2));
            if (length == 0 || message.Length < FixedHeaderSize + 2 + length)
            {
                return false;
            }

            group = Encoding.UTF8.GetString(message.Slice(FixedHeaderSize + 2, length));
            payloadOffset = FixedHeaderSize + 2 + length;
        }

        return true;
    }
}
