using System.Buffers;

namespace TcpToolkit.Framing.Internal;

/// <summary>Writes prefix + payload + suffix as one frame.</summary>
internal static class FrameWriting
{
    /// <summary>
    /// Writes the frame with one <see cref="IBufferWriter{T}.GetSpan"/> and one <see cref="IBufferWriter{T}.Advance"/>
    /// when the output can provide a buffer that large, so small frames never become several small writes.
    /// </summary>
    public static void WriteFramed(IBufferWriter<byte> output, ReadOnlySpan<byte> prefix, in ReadOnlySequence<byte> payload, ReadOnlySpan<byte> suffix)
    {
        // Callers bound the payload by MaxFrameLength (an int), so the sum fits.
        var total = prefix.Length + (int)payload.Length + suffix.Length;
        var span = output.GetSpan(total);
        if (span.Length >= total)
        {
            prefix.CopyTo(span);
            payload.CopyTo(span[prefix.Length..]);
            suffix.CopyTo(span[(prefix.Length + (int)payload.Length)..]);
            output.Advance(total);
            return;
        }

        // A bounded writer that cannot hand out one buffer this large: write the pieces in order.
        output.Write(prefix);
        foreach (var segment in payload)
        {
            output.Write(segment.Span);
        }

        output.Write(suffix);
    }
}
