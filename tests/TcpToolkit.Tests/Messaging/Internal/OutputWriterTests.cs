using System.Buffers;
using System.IO.Pipelines;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Tests.Messaging.Internal;

/// <summary>
/// The coalescing output: frames written while a flush waits go to a side buffer and follow in order; the close waits
/// for them (a close never overtakes or cuts into a write); a caller's bytes are copied before its call returns.
/// </summary>
public sealed class OutputWriterTests
{
    [Fact]
    public async Task CompleteAsync_WhileAFlushWaitsForTheReader_EveryFrameArrivesInOrderBeforeTheEnd()
    {
        // The writer pauses above 16 bytes: the first flush waits until the reader takes bytes.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        var failures = new List<Exception>();
        var output = new OutputWriter(pipe.Writer, sideCapacity: 1024, failures.Add);

        for (byte i = 0; i < 10; i++)
        {
            Write(output, [i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i], flushNow: true);
        }

        var completed = output.CompleteAsync();
        completed.IsCompleted.Should().BeFalse("the reader has not taken the first flush yet");
        output.TryBeginWrite(out _).Should().BeFalse("nothing may be written after the close began");

        var received = await ReadAllAsync(pipe.Reader);
        await completed.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);

        received.Should().HaveCount(200);
        received.Chunk(20).Select(c => c.Distinct().Single()).Should().Equal(Enumerable.Range(0, 10).Select(i => (byte)i));
        failures.Should().BeEmpty();
        output.SideHighWater.Should().BePositive("frames written during the pending flush went to the side buffer");
    }

    [Fact]
    public async Task EndWrite_CallerReusesItsBufferAfterTheCall_SentBytesAreTheOnesAtTheCall()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8, useSynchronizationContext: false));
        var output = new OutputWriter(pipe.Writer, sideCapacity: 1024, _ => { });
        var buffer = "first-payload-xx"u8.ToArray();

        Write(output, buffer, flushNow: true);
        "second-payload-y"u8.CopyTo(buffer);
        Write(output, buffer, flushNow: true);
        buffer.AsSpan().Clear();
        var completed = output.CompleteAsync();

        var received = await ReadAllAsync(pipe.Reader);
        await completed.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        received.Should().Equal("first-payload-xxsecond-payload-y"u8.ToArray());
    }

    [Fact]
    public async Task WaitForRoomAsync_SideBufferAboveCapacity_CompletesWhenTheReaderTakesIt()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8, useSynchronizationContext: false));
        var output = new OutputWriter(pipe.Writer, sideCapacity: 32, _ => { });
        Write(output, new byte[20], flushNow: true); // pending flush: the next writes go to the side buffer
        Write(output, new byte[40], flushNow: false);

        output.HasRoom.Should().BeFalse();
        var room = output.WaitForRoomAsync(CancellationToken.None);
        room.IsCompleted.Should().BeFalse();

        var read = await pipe.Reader.ReadAsync(TestContext.Current.CancellationToken);
        pipe.Reader.AdvanceTo(read.Buffer.End);
        await room.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        output.HasRoom.Should().BeTrue();
    }

    [Fact]
    public void Close_WithAPendingFlush_LaterWritesFailAndNothingThrows()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8, useSynchronizationContext: false));
        var output = new OutputWriter(pipe.Writer, sideCapacity: 32, _ => { });
        Write(output, new byte[20], flushNow: true);

        output.Close();

        output.TryBeginWrite(out _).Should().BeFalse();
        output.Completed.IsCompleted.Should().BeTrue();
    }

    private static void Write(OutputWriter output, byte[] frame, bool flushNow)
    {
        output.TryBeginWrite(out var writer).Should().BeTrue();
        try
        {
            writer.Write(frame);
        }
        finally
        {
            output.EndWrite(frame.Length, flushNow);
        }
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        var all = new List<byte>();
        while (true)
        {
            var result = await reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TestTimeouts.Default);
            all.AddRange(result.Buffer.ToArray());
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return [.. all];
            }
        }
    }
}
