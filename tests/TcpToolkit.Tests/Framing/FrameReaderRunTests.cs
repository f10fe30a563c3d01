using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Framing;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

/// <summary>
/// <see cref="FrameReader.ReadRunAsync{TFrame}"/> and <see cref="FrameWriter.WriteRun"/> (issue 17): runs of
/// whole frames as wire bytes, each frame checked as <see cref="FrameReader.ReadAsync{TFrame}"/> checks it.
/// </summary>
public sealed class FrameReaderRunTests
{
    private static readonly LengthFieldCodecOptions UInt16 = LengthFieldCodecOptions.UInt16BigEndian;

    // A tag byte, then a 2-byte little-endian field that counts the body minus 2, nothing stripped: the fast path's
    // header checks with an offset, an adjustment and another byte order.
    private static readonly LengthFieldCodecOptions Tagged = new() { LengthFieldOffset = 1, LengthFieldSize = 2, IsLittleEndian = true, LengthAdjustment = 2, InitialBytesToStrip = 0 };

    private static readonly MarkerCodecOptions Stx = new() { StartMarker = new byte[] { 2 }, EndMarker = new byte[] { 3 } };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> CodecNames => ["length16", "tagged", "line", "fixed", "marker"];

    [Theory]
    [MemberData(nameof(CodecNames))]
    public async Task ReadRunAsync_SplitAtEveryOffset_RunsAreTheWireBytesOfWholeFrames(string codec)
    {
        var (createDecoder, wire, frameCount) = Sample(codec);

        for (var split = 0; split <= wire.Length; split++)
        {
            // 16-byte segments, so frames and runs also cross segment boundaries.
            var pipe = new Pipe(new PipeOptions(
                pauseWriterThreshold: 0, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
                minimumSegmentSize: 16, useSynchronizationContext: false));
            var reading = ReadAllRunsAsync(new FrameReader(pipe.Reader), createDecoder());
            await pipe.Writer.WriteAsync(wire.AsMemory(0, split), Ct);
            await pipe.Writer.WriteAsync(wire.AsMemory(split), Ct);
            await pipe.Writer.CompleteAsync();
            var runs = await reading.WaitAsync(TestTimeouts.Default, Ct);

            var because = $"split at {split}";
            runs.SelectMany(r => r.Bytes).Should().Equal(wire, because);
            runs.Sum(r => r.Frames).Should().Be(frameCount, because);
            foreach (var (bytes, frames) in runs)
            {
                var (decoded, leftover) = DecodeChunks(createDecoder(), [bytes]);
                decoded.Should().HaveCount(frames, "{0}: a run holds exactly its whole frames", because);
                leftover.Should().BeEmpty(because);
            }
        }
    }

    [Fact]
    public async Task ReadRunAsync_FramesAlreadyBuffered_OneRunCompletesSynchronously()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        byte[] wire = [0, 1, 7, 0, 0, 0, 2, 8, 9, 0, 3];
        await pipe.Writer.WriteAsync(wire, Ct);

        var pending = reader.ReadRunAsync(new LengthFieldFrameDecoder(UInt16), Ct);

        pending.IsCompletedSuccessfully.Should().BeTrue();
        var run = await pending;
        run.FrameCount.Should().Be(3);
        run.HasFrames.Should().BeTrue();
        run.WireBytes.ToArray().Should().Equal(wire[..9], "the incomplete frame after the run waits for its byte");
    }

    [Fact]
    public async Task ReadRunAsync_WaitsForAWholeFrame_ThenReturnsIt()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        await pipe.Writer.WriteAsync(new byte[] { 0, 2, 7 }, Ct);

        var pending = reader.ReadRunAsync(new LengthFieldFrameDecoder(UInt16), Ct);
        pending.IsCompleted.Should().BeFalse("one payload byte is still missing");
        await pipe.Writer.WriteAsync(new byte[] { 8 }, Ct);

        var run = await pending.AsTask().WaitAsync(TestTimeouts.Default, Ct);
        run.FrameCount.Should().Be(1);
        run.WireBytes.ToArray().Should().Equal(0, 2, 7, 8);
    }

    [Fact]
    public async Task ReadRunAsync_TooLargeFrameAfterWholeFrames_ReturnsTheFramesThenThrowsAndLogs201Once()
    {
        var pipe = CreatePipe();
        var logger = new FakeLogger();
        var reader = new FrameReader(pipe.Reader, logger);
        var decoder = new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 2, MaxFrameLength = 10 });
        await pipe.Writer.WriteAsync(new byte[] { 0, 1, 7, 0, 1, 8, 0, 50, 1, 2 }, Ct);

        var run = await reader.ReadRunAsync(decoder, Ct);
        run.WireBytes.ToArray().Should().Equal(0, 1, 7, 0, 1, 8);
        run.FrameCount.Should().Be(2, "frames checked before the bad header are not lost");
        var next = async () => await reader.ReadRunAsync(decoder, Ct);

        (await next.Should().ThrowAsync<FrameTooLargeException>()).Which.Length.Should().Be(52);
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 201);
    }

    [Fact]
    public async Task ReadRunAsync_TooLargeFrameFirst_ThrowsAtOnce()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        await pipe.Writer.WriteAsync(new byte[] { 0, 50, 1 }, Ct);

        var pending = reader.ReadRunAsync(new LengthFieldFrameDecoder(new LengthFieldCodecOptions { LengthFieldSize = 2, MaxFrameLength = 10 }), Ct);

        pending.IsFaulted.Should().BeTrue("bad bytes fault the task, as ReadAsync does");
        await FluentActions.Awaiting(async () => await pending).Should().ThrowAsync<FrameTooLargeException>();
    }

    [Fact]
    public async Task ReadRunAsync_InvalidLineAfterWholeLines_ReturnsTheLinesThenThrows()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        var decoder = new DelimiterFrameDecoder(new DelimiterCodecOptions { MaxFrameLength = 4 });
        await pipe.Writer.WriteAsync(Ascii("ok\nfine\nmuch too long\n"), Ct);

        var run = await reader.ReadRunAsync(decoder, Ct);
        run.WireBytes.ToArray().Should().Equal(Ascii("ok\nfine\n"));
        run.FrameCount.Should().Be(2);

        await FluentActions.Awaiting(async () => await reader.ReadRunAsync(decoder, Ct)).Should().ThrowAsync<FrameTooLargeException>();
    }

    [Fact]
    public async Task ReadRunAsync_EofInsideFrameAfterWholeFrames_ReturnsTheFramesThenThrowsTruncatedAndLogs203()
    {
        var pipe = CreatePipe();
        var logger = new FakeLogger();
        var reader = new FrameReader(pipe.Reader, logger);
        var decoder = new LengthFieldFrameDecoder(UInt16);
        await pipe.Writer.WriteAsync(new byte[] { 0, 1, 7, 0, 5, 1, 2 }, Ct);
        await pipe.Writer.CompleteAsync();

        var run = await reader.ReadRunAsync(decoder, Ct);
        run.WireBytes.ToArray().Should().Equal(0, 1, 7);
        run.IsCompleted.Should().BeFalse("the run has a frame; the end comes with the next read");
        var next = async () => await reader.ReadRunAsync(decoder, Ct);

        (await next.Should().ThrowAsync<TruncatedFrameException>()).Which.BufferedBytes.Should().Be(4);
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 203);
    }

    [Fact]
    public async Task ReadRunAsync_EofAtFrameBoundary_ReturnsTheRunThenCompleted()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        var decoder = new FixedSizeFrameDecoder(new FixedSizeCodecOptions { FrameLength = 2 });
        await pipe.Writer.WriteAsync(new byte[] { 1, 2, 3, 4 }, Ct);
        await pipe.Writer.CompleteAsync();

        var run = await reader.ReadRunAsync(decoder, Ct);
        var end = await reader.ReadRunAsync(decoder, Ct);

        run.FrameCount.Should().Be(2);
        end.IsCompleted.Should().BeTrue();
        end.HasFrames.Should().BeFalse();
        end.FrameCount.Should().Be(0);
        end.WireBytes.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public async Task ReadRunAsync_CancelPendingRead_ReturnsCanceledThenTheRun()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        var decoder = new LengthFieldFrameDecoder(UInt16);

        var pending = reader.ReadRunAsync(decoder, Ct);
        pipe.Reader.CancelPendingRead();
        var canceled = await pending.AsTask().WaitAsync(TestTimeouts.Default, Ct);
        await pipe.Writer.WriteAsync(new byte[] { 0, 1, 9 }, Ct);
        var next = await reader.ReadRunAsync(decoder, Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        canceled.IsCanceled.Should().BeTrue();
        canceled.HasFrames.Should().BeFalse();
        next.WireBytes.ToArray().Should().Equal(0, 1, 9);
    }

    [Fact]
    public async Task ReadRunAsync_TokenCanceled_ThrowsOperationCanceled()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        using var cts = new CancellationTokenSource();

        var pending = reader.ReadRunAsync(new LengthFieldFrameDecoder(UInt16), cts.Token);
        await cts.CancelAsync();

        await FluentActions.Awaiting(() => pending.AsTask().WaitAsync(TestTimeouts.Default, Ct)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task ReadRunAsync_DelimiterDiscardPolicy_DroppedBytesInNoRunAndLogs200()
    {
        var logger = new FakeLogger();
        var options = new DelimiterCodecOptions { MaxFrameLength = 4, RecoveryPolicy = FrameRecoveryPolicy.Discard };

        var runs = await ReadRunsThroughPipeAsync(new DelimiterFrameDecoder(options), Ascii("ok\nmuch too long\nfine\nab\n"), logger);

        runs.Select(r => r.Bytes).Should().BeEquivalentTo(new[] { Ascii("ok\n"), Ascii("fine\n"), Ascii("ab\n") }, o => o.WithStrictOrdering());
        runs.Should().OnlyContain(r => r.Frames == 1, "a decoder that drops bytes gives runs of one frame");
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 200);
    }

    [Fact]
    public async Task ReadRunAsync_MarkerDiscardPolicy_GarbageBeforeStartMarkerInNoRun()
    {
        var options = new MarkerCodecOptions { StartMarker = new byte[] { 2 }, EndMarker = new byte[] { 3 }, RecoveryPolicy = FrameRecoveryPolicy.Discard };

        var runs = await ReadRunsThroughPipeAsync(new MarkerFrameDecoder(options), [9, 9, 2, 65, 3, 7, 2, 66, 3]);

        runs.Select(r => r.Bytes).Should().BeEquivalentTo(new byte[][] { [2, 65, 3], [2, 66, 3] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task ReadRunAsync_DelimiterFailPolicy_WholeBufferInOneRun()
    {
        var runs = await ReadRunsThroughPipeAsync(new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed), Ascii("a\nbb\nccc\n"));

        runs.Should().ContainSingle().Which.Frames.Should().Be(3);
    }

    [Fact]
    public async Task ReadRunAsync_ThenReadAsync_SwitchCodecWithoutLosingBytes()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        await pipe.Writer.WriteAsync(Concat(Ascii("HELLO\n"), [0, 1, 42]), Ct);

        var hello = await reader.ReadRunAsync(new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed), Ct);
        hello.WireBytes.ToArray().Should().Equal(Ascii("HELLO\n"));
        var frame = await reader.ReadAsync(new LengthFieldFrameDecoder(UInt16), Ct);

        frame.Frame.ToArray().Should().Equal(42);
    }

    [Fact]
    public async Task WriteRun_EchoOfRuns_ByteIdenticalToReEncodingEachFrame()
    {
        var (_, wire, _) = Sample("length16");
        var input = CreatePipe();
        var output = CreatePipe();
        var reader = new FrameReader(input.Reader);
        var writer = new FrameWriter(output.Writer);
        var decoder = new LengthFieldFrameDecoder(UInt16);
        var encoder = new LengthFieldFrameEncoder(UInt16);
        await input.Writer.WriteAsync(wire, Ct);
        await input.Writer.CompleteAsync();

        while (true)
        {
            var run = await reader.ReadRunAsync(decoder, Ct);
            if (!run.HasFrames)
            {
                break;
            }

            writer.WriteRun(run);
        }

        await writer.FlushAsync(Ct);
        var echoed = await output.Reader.ReadAsync(Ct);
        echoed.Buffer.ToArray().Should().Equal(await ReEncodeAsync(wire));
        echoed.Buffer.ToArray().Should().Equal(wire);
    }

    [Fact]
    public async Task WriteRunAsync_RunsOverManySegments_EchoIsByteIdenticalAndEveryRunIsFlushed()
    {
        // 30 KB of frames, flushed 1 KB at a time: runs span several of the pipe's 4 KiB segments, and over a plain
        // pipe writer (not a transport's) each segment is written and flushed in turn.
        var wire = new byte[300 * 102];
        for (var i = 0; i < 300; i++)
        {
            wire[i * 102] = 0;
            wire[(i * 102) + 1] = 100;
            wire.AsSpan((i * 102) + 2, 100).Fill((byte)i);
        }

        var input = CreatePipe();
        var output = CreatePipe();
        var reader = new FrameReader(input.Reader);
        var writer = new FrameWriter(output.Writer);
        var decoder = new LengthFieldFrameDecoder(UInt16);
        for (var offset = 0; offset < wire.Length; offset += 1_000)
        {
            await input.Writer.WriteAsync(wire.AsMemory(offset, Math.Min(1_000, wire.Length - offset)), Ct);
        }

        await input.Writer.CompleteAsync();
        var runs = 0;
        var multiSegment = false;
        while (true)
        {
            var run = await reader.ReadRunAsync(decoder, Ct);
            if (!run.HasFrames)
            {
                break;
            }

            runs++;
            multiSegment |= !run.WireBytes.IsSingleSegment;
            var flush = await writer.WriteRunAsync(run, Ct);
            flush.IsCompleted.Should().BeFalse();
            output.Writer.UnflushedBytes.Should().Be(0, "the run is flushed");
        }

        var echoed = await output.Reader.ReadAsync(Ct);
        runs.Should().BeGreaterThan(0);
        multiSegment.Should().BeTrue("some runs span segments");
        echoed.Buffer.ToArray().Should().Equal(wire);
    }

    [Fact]
    public async Task ReadRunAsync_WriteRun_SteadyStateAllocatesNothing()
    {
        var input = CreatePipe();
        var output = CreatePipe();
        var reader = new FrameReader(input.Reader);
        var writer = new FrameWriter(output.Writer);
        var decoder = new LengthFieldFrameDecoder(UInt16);
        var encoder = new LengthFieldFrameEncoder(UInt16);
        var batch = new byte[16 * 34];
        for (var i = 0; i < 16; i++)
        {
            batch[(i * 34) + 1] = 32;
        }

        // Inline, not in a helper: a Debug build makes every async method's state machine a class.
        var before = 0L;
        var frames = 0;
        for (var round = -1; round < 100; round++)
        {
            if (round == 0)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }

            await input.Writer.WriteAsync(batch, Ct);
            var run = await reader.ReadRunAsync(decoder, Ct);
            frames += run.FrameCount;
            writer.WriteRun(run);
            reader.Advance();
            await writer.FlushAsync(Ct);
            var echoed = await output.Reader.ReadAsync(Ct);
            output.Reader.AdvanceTo(echoed.Buffer.End);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
        frames.Should().Be(101 * 16, "each batch is one run of 16 frames");
    }

    [Fact]
    public async Task ReadRunAsync_NullDecoder_Throws()
    {
        var reader = new FrameReader(CreatePipe().Reader);

        await FluentActions.Awaiting(async () => await reader.ReadRunAsync<ReadOnlySequence<byte>>(null!, Ct)).Should().ThrowAsync<ArgumentNullException>();
    }

    // Frames of every codec the theory covers, of mixed sizes (empty ones too where the codec allows), about 100 bytes.
    private static (Func<IFrameDecoder<ReadOnlySequence<byte>>> CreateDecoder, byte[] Wire, int Frames) Sample(string codec)
    {
        int[] sizes = [0, 1, 5, 17, 3, 30, 2, 9];
        switch (codec)
        {
            case "length16":
                return (() => new LengthFieldFrameDecoder(UInt16), [.. sizes.SelectMany(s => new byte[] { 0, (byte)s }.Concat(Payload(s)))], sizes.Length);
            case "tagged":
                return (() => new LengthFieldFrameDecoder(Tagged), [.. sizes.Select(s => s + 2).SelectMany(b => new byte[] { 0xAA, (byte)(b - 2), 0 }.Concat(Payload(b)))], sizes.Length);
            case "line":
                return (() => new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed), [.. sizes.SelectMany(s => Payload(s).Append((byte)'\n'))], sizes.Length);
            case "fixed":
                return (() => new FixedSizeFrameDecoder(new FixedSizeCodecOptions { FrameLength = 7 }), Payload(7 * 13), 13);
            default:
                return (() => new MarkerFrameDecoder(Stx), [.. sizes.SelectMany(s => new byte[] { 2 }.Concat(Payload(s)).Append((byte)3))], sizes.Length);
        }
    }

    // Letters: never a delimiter or a marker.
    private static byte[] Payload(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26)))];

    private static async Task<List<(byte[] Bytes, int Frames)>> ReadAllRunsAsync(FrameReader reader, IFrameDecoder<ReadOnlySequence<byte>> decoder)
    {
        var runs = new List<(byte[], int)>();
        while (true)
        {
            var run = await reader.ReadRunAsync(decoder);
            if (!run.HasFrames)
            {
                run.IsCompleted.Should().BeTrue();
                return runs;
            }

            runs.Add((run.WireBytes.ToArray(), run.FrameCount));
        }
    }

    private static async Task<List<(byte[] Bytes, int Frames)>> ReadRunsThroughPipeAsync(IFrameDecoder<ReadOnlySequence<byte>> decoder, byte[] wire, ILogger? logger = null)
    {
        var pipe = CreatePipe();
        await pipe.Writer.WriteAsync(wire, Ct);
        await pipe.Writer.CompleteAsync();
        return await ReadAllRunsAsync(new FrameReader(pipe.Reader, logger), decoder).WaitAsync(TestTimeouts.Default, Ct);
    }

    private static async Task<byte[]> ReEncodeAsync(byte[] wire)
    {
        var output = CreatePipe();
        var writer = new FrameWriter(output.Writer);
        var encoder = new LengthFieldFrameEncoder(UInt16);
        foreach (var frame in await ReadThroughPipeAsync(new LengthFieldFrameDecoder(UInt16), [wire]))
        {
            writer.Write(encoder, frame);
        }

        await writer.FlushAsync(Ct);
        return (await output.Reader.ReadAsync(Ct)).Buffer.ToArray();
    }
}
