using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using TcpToolkit.Framing;
using TcpToolkit.Tests.Infrastructure;

namespace TcpToolkit.Tests.Framing.Infrastructure;

/// <summary>Drives a decoder the way a reader does, over multi-segment sequences or a real <see cref="Pipe"/>.</summary>
internal static class DecodeHarness
{
    public static Pipe CreatePipe() => new(new PipeOptions(
        pauseWriterThreshold: 0,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false));

    /// <summary>
    /// Feeds the chunks one at a time, keeping unconsumed bytes as the segments they arrived in, and decodes every
    /// frame each time. Checks the examined contract on every incomplete frame. Returns the frames and the leftover.
    /// </summary>
    public static (List<byte[]> Frames, byte[] Leftover) DecodeChunks(IFrameDecoder<ReadOnlySequence<byte>> decoder, IReadOnlyList<byte[]> chunks)
    {
        var frames = new List<byte[]>();
        var pending = new List<byte[]>();
        foreach (var chunk in chunks)
        {
            pending.Add(chunk);
            var buffer = TestSequence.FromChunks(pending);
            while (true)
            {
                var consumed = buffer.Start;
                var examined = buffer.Start;
                if (!decoder.TryDecode(buffer, ref consumed, ref examined, out var frame))
                {
                    examined.Should().Be(buffer.End, "an incomplete frame must mark the whole buffer examined");
                    buffer = buffer.Slice(consumed);
                    break;
                }

                frames.Add(frame.ToArray());
                buffer = buffer.Slice(consumed);
            }

            pending = [];
            foreach (var segment in buffer)
            {
                if (!segment.IsEmpty)
                {
                    pending.Add(segment.ToArray());
                }
            }
        }

        return (frames, [.. pending.SelectMany(p => p)]);
    }

    /// <summary>
    /// Writes the chunks into a real inline pipe one flush at a time while a <see cref="FrameReader"/> reads until
    /// completion. Inline schedulers make every step run on this thread, so the order is deterministic.
    /// </summary>
    public static async Task<List<byte[]>> ReadThroughPipeAsync(IFrameDecoder<ReadOnlySequence<byte>> decoder, IReadOnlyList<byte[]> chunks, ILogger? logger = null)
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader, logger);
        var readTask = ReadAllAsync(reader, decoder);
        foreach (var chunk in chunks)
        {
            await pipe.Writer.WriteAsync(chunk);
        }

        await pipe.Writer.CompleteAsync();
        return await readTask.WaitAsync(TestTimeouts.Default);
    }

    public static async Task<List<byte[]>> ReadAllAsync(FrameReader reader, IFrameDecoder<ReadOnlySequence<byte>> decoder)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var result = await reader.ReadAsync(decoder);
            if (result.IsCompleted)
            {
                return frames;
            }

            frames.Add(result.Frame.ToArray());
        }
    }

    /// <summary>
    /// Asserts the same frames come out whether the bytes arrive whole, byte by byte or split at any offset, through
    /// both the sequence harness and a real pipe.
    /// </summary>
    public static async Task AssertAllChunkingsAsync(Func<IFrameDecoder<ReadOnlySequence<byte>>> createDecoder, byte[] wire, IReadOnlyList<byte[]> expected)
    {
        foreach (var chunks in TestSequence.AllChunkings(wire))
        {
            var (frames, leftover) = DecodeChunks(createDecoder(), chunks);
            AssertFrames(frames, expected, "chunk sizes {0}", string.Join(",", chunks.Select(c => c.Length)));
            leftover.Should().BeEmpty();

            var piped = await ReadThroughPipeAsync(createDecoder(), chunks);
            AssertFrames(piped, expected, "through a pipe with chunk sizes {0}", string.Join(",", chunks.Select(c => c.Length)));
        }
    }

    /// <summary>
    /// Compares cheaply and only builds FluentAssertions' detailed report on a mismatch: the randomized tests compare
    /// tens of thousands of frame lists, and structural equivalence on each would dominate the run.
    /// </summary>
    public static void AssertFrames(IReadOnlyList<byte[]> actual, IReadOnlyList<byte[]> expected, string because, params object[] becauseArgs)
    {
        if (actual.Count != expected.Count || actual.Where((frame, i) => !frame.AsSpan().SequenceEqual(expected[i])).Any())
        {
            actual.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering(), because, becauseArgs);
        }
    }

    public static byte[] Ascii(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
