using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace TcpToolkit.Benchmarks.Peers;

/// <summary>
/// The echo loop of the pipe-based peers (Kestrel, Pipelines.Sockets.Unofficial), the same work TcpToolkit's
/// EchoServer does: raw copies bytes back; length32 decodes each frame (4-byte big-endian length) and writes it back
/// re-encoded, flushing once per read.
/// </summary>
internal static class PipeEcho
{
    public static async Task RunAsync(IDuplexPipe transport, bool length32)
    {
        var input = transport.Input;
        var output = transport.Output;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = length32 ? EchoFrames(buffer, output) : EchoRaw(buffer, output);
                input.AdvanceTo(consumed, buffer.End);
                if (output.UnflushedBytes > 0)
                {
                    var flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        break;
                    }
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static SequencePosition EchoRaw(in ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        foreach (var segment in buffer)
        {
            output.Write(segment.Span);
        }

        return buffer.End;
    }

    private static SequencePosition EchoFrames(in ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        var reader = new SequenceReader<byte>(buffer);
        var consumed = buffer.Start;
        while (reader.TryReadBigEndian(out int length))
        {
            if (length is < 0 or > PeerArgs.MaxFrameLength)
            {
                throw new InvalidDataException("Bad frame length.");
            }

            if (reader.Remaining < length)
            {
                break;
            }

            BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), length);
            output.Advance(4);
            foreach (var segment in buffer.Slice(reader.Position, length))
            {
                output.Write(segment.Span);
            }

            reader.Advance(length);
            consumed = reader.Position;
        }

        return consumed;
    }
}
