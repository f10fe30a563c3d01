using System.Buffers;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Framing;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class FrameReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly LengthFieldCodecOptions UInt16 = LengthFieldCodecOptions.UInt16BigEndian;

    [Fact]
    public async Task ReadAsync_EofAtFrameBoundary_ReturnsCompleted()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        var decoder = new LengthFieldFrameDecoder(UInt16);
        await pipe.Writer.WriteAsync(new byte[] { 0, 1, 42 }, Ct);
        await pipe.Writer.CompleteAsync();

        var first = await reader.ReadAsync(decoder, Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);
        // Use the frame before the next read: that read releases its memory.
        first.Frame.ToArray().Should().Equal(42);
        var second = await reader.ReadAsync(decoder, Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        second.IsCompleted.Should().BeTrue();
        second.HasFrame.Should().BeFalse();
        FluentActions.Invoking(() => second.Frame).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task ReadAsync_EofInsideFrame_ThrowsTruncatedAndLogs203()
    {
        var pipe = CreatePipe();
        var logger = new FakeLogger();
        var reader = new FrameReader(pipe.Reader, logger);
        await pipe.Writer.WriteAsync(new byte[] { 0, 5, 1, 2 }, Ct);
        await pipe.Writer.CompleteAsync();

        var act = async () => await reader.ReadAsync(new LengthFieldFrameDecoder(UInt16), Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        (await act.Should().ThrowAsync<TruncatedFrameException>()).Which.BufferedBytes.Should().Be(4);
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 203 && r.Id.Name == "TruncatedFrame");
    }

    [Fact]
    public async Task ReadAsync_FrameAlreadyBuffered_CompletesSynchronously()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        var decoder = new LengthFieldFrameDecoder(UInt16);
        await pipe.Writer.WriteAsync(new byte[] { 0, 1, 1, 0, 1, 2 }, Ct);

        var first = await reader.ReadAsync(decoder, Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);
        first.Frame.ToArray().Should().Equal(1);
        var second = reader.ReadAsync(decoder, Ct);

        second.IsCompletedSuccessfully.Should().BeTrue();
        (await second).Frame.ToArray().Should().Equal(2);
    }

    [Fact]
    public async Task ReadAsync_WaitsForRestOfFrame_ThenCompletes()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        await pipe.Writer.WriteAsync(new byte[] { 0, 2, 7 }, Ct);

        var pending = reader.ReadAsync(new LengthFieldFrameDecoder(UInt16), Ct);
        pending.IsCompleted.Should().BeFalse("one payload byte is still missing");
        await pipe.Writer.WriteAsync(new byte[] { 8 }, Ct);

        (await pending.AsTask().WaitAsync(TestTimeouts.Default, Ct)).Frame.ToArray().Should().Equal(7, 8);
    }

    [Fact]
    public async Task ReadAsync_SwitchCodecAfterHandshake_NoBufferedByteLost()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);

        // The handshake line and the first binary frames arrive in one write, as they would in one TCP segment.
        await pipe.Writer.WriteAsync(Concat(Ascii("HELLO v1\r\n"), [0, 0, 0, 2, 0xAB, 0xCD, 0, 0, 0, 0]), Ct);
        await pipe.Writer.CompleteAsync();

        var line = await reader.ReadAsync(new DelimiterFrameDecoder(DelimiterCodecOptions.CrLf), Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);
        line.Frame.ToArray().Should().Equal(Ascii("HELLO v1"));
        var binary = new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt32BigEndian);
        var frames = await ReadAllAsync(reader, binary).WaitAsync(TestTimeouts.Default, Ct);

        frames.Should().BeEquivalentTo(new[] { new byte[] { 0xAB, 0xCD }, [] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task ReadAsync_DiscardPolicy_LogsEvent200AndContinues()
    {
        var logger = new FakeLogger();
        var options = new DelimiterCodecOptions { MaxFrameLength = 4, RecoveryPolicy = FrameRecoveryPolicy.Discard };

        var frames = await ReadThroughPipeAsync(new DelimiterFrameDecoder(options), [Ascii("ok\nmuch too long\nfine\n")], logger);

        frames.Should().BeEquivalentTo(new[] { Ascii("ok"), Ascii("fine") }, o => o.WithStrictOrdering());
        var record = logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 200).Which;
        record.Id.Name.Should().Be("FrameDiscarded");
        record.Message.Should().Contain("FrameTooLarge").And.Contain("5 bytes", "the decoder reports the bytes proven to be in the frame: MaxFrameLength + 1");
    }

    [Fact]
    public async Task ReadAsync_ThrowPolicy_ThrowsAndLogs201WithLengthAndLimit()
    {
        var logger = new FakeLogger();
        var options = new DelimiterCodecOptions { MaxFrameLength = 4 };

        var act = () => ReadThroughPipeAsync(new DelimiterFrameDecoder(options), [Ascii("ok\nmuch too long\nfine\n")], logger);

        await act.Should().ThrowAsync<FrameTooLargeException>();
        var record = logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 201).Which;
        record.Id.Name.Should().Be("FrameTooLarge");
        record.Message.Should().Contain("length 5").And.Contain("maximum frame length 4");
    }

    [Fact]
    public async Task ReadAsync_ImpossibleLength_ThrowsInvalidAndLogs202()
    {
        var logger = new FakeLogger();
        var options = new LengthFieldCodecOptions { LengthAdjustment = -4 };

        var act = () => ReadThroughPipeAsync(new LengthFieldFrameDecoder(options), [[0, 0, 0, 1]], logger);

        await act.Should().ThrowAsync<InvalidFrameException>();
        logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 202 && r.Id.Name == "InvalidFrame");
    }

    [Fact]
    public async Task ReadAsync_BadFrameOnOneConnection_OtherConnectionUnaffected()
    {
        // One options object shared by two connections, one decoder each, as a server would set them up.
        var options = new DelimiterCodecOptions { MaxFrameLength = 4 };
        var bad = ReadThroughPipeAsync(new DelimiterFrameDecoder(options), [Ascii("waytoolong\n")]);
        var good = ReadThroughPipeAsync(new DelimiterFrameDecoder(options), [Ascii("a\n"), Ascii("b\n")]);

        await FluentActions.Awaiting(() => bad).Should().ThrowAsync<FrameTooLargeException>();
        (await good).Should().HaveCount(2);
    }

    [Fact]
    public async Task ReadAsync_BadFrameAlreadyBuffered_FaultsTheTaskInsteadOfThrowing()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        await pipe.Writer.WriteAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, Ct);

        var read = reader.ReadAsync(new LengthFieldFrameDecoder(new LengthFieldCodecOptions { MaxFrameLength = 16 }), Ct);

        read.IsFaulted.Should().BeTrue();
        await FluentActions.Awaiting(() => read.AsTask()).Should().ThrowAsync<FrameTooLargeException>();
    }

    [Fact]
    public async Task ReadAsync_CancelPendingRead_ReturnsCanceledThenNextFrame()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        var decoder = new LengthFieldFrameDecoder(UInt16);

        var pending = reader.ReadAsync(decoder, Ct);
        pipe.Reader.CancelPendingRead();
        var canceled = await pending.AsTask().WaitAsync(TestTimeouts.Default, Ct);
        await pipe.Writer.WriteAsync(new byte[] { 0, 1, 9 }, Ct);
        var next = await reader.ReadAsync(decoder, Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        canceled.IsCanceled.Should().BeTrue();
        next.Frame.ToArray().Should().Equal(9);
    }

    [Fact]
    public async Task ReadAsync_TokenCanceled_ThrowsOperationCanceled()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        using var cts = new CancellationTokenSource();

        var pending = reader.ReadAsync(new LengthFieldFrameDecoder(UInt16), cts.Token);
        await cts.CancelAsync();

        await FluentActions.Awaiting(() => pending.AsTask().WaitAsync(TestTimeouts.Default, Ct)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Advance_BeforeNextRead_NextFrameStillReturned()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        var decoder = new LengthFieldFrameDecoder(UInt16);
        await pipe.Writer.WriteAsync(new byte[] { 0, 1, 1, 0, 1, 2 }, Ct);

        (await reader.ReadAsync(decoder, Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct)).Frame.ToArray().Should().Equal(1);
        reader.Advance();
        reader.Advance();
        var second = await reader.ReadAsync(decoder, Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        second.Frame.ToArray().Should().Equal(2);
    }

    [Fact]
    public async Task ReadAsync_ManyFramesOneWrite_FrameIsSliceOfPipeBuffer()
    {
        var pipe = CreatePipe();
        var reader = new FrameReader(pipe.Reader);
        await pipe.Writer.WriteAsync(Ascii("abc\ndef\n"), Ct);

        var first = await reader.ReadAsync(new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed), Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        // Zero copy: the frame is the pipe's own memory, so an owned copy is the caller's explicit choice.
        first.Frame.IsSingleSegment.Should().BeTrue();
        using var owned = PooledFrame.CopyOf(first.Frame);
        owned.Memory.ToArray().Should().Equal(Ascii("abc"));
    }

    [Fact]
    public void Ctor_NullReader_Throws()
    {
        FluentActions.Invoking(() => new FrameReader((System.IO.Pipelines.PipeReader)null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new FrameReader(CreatePipe().Reader).ReadAsync<ReadOnlySequence<byte>>(null!)).Should().Throw<ArgumentNullException>();
    }
}
