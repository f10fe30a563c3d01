using System.Buffers;
using System.IO.Pipelines;
using TcpToolkit.Framing;
using static TcpToolkit.Tests.Framing.Infrastructure.DecodeHarness;

namespace TcpToolkit.Tests.Framing;

public sealed class FrameWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Write_ManyFramesThenOneFlush_ReaderSeesNothingUntilFlush()
    {
        var pipe = CreatePipe();
        var writer = new FrameWriter(pipe.Writer);
        var encoder = new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt16BigEndian);

        for (var i = 0; i < 10; i++)
        {
            writer.Write(encoder, new ReadOnlyMemory<byte>([(byte)i]));
        }

        pipe.Reader.TryRead(out _).Should().BeFalse("nothing is flushed yet");
        await writer.FlushAsync(Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);
        await pipe.Writer.CompleteAsync();

        var frames = await ReadAllAsync(new FrameReader(pipe.Reader), new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt16BigEndian)).WaitAsync(TestTimeouts.Default, Ct);
        frames.Select(f => f.Single()).Should().Equal(Enumerable.Range(0, 10).Select(i => (byte)i));
    }

    [Fact]
    public async Task WriteAsync_Frame_HeaderAndPayloadInOneBufferOfThePipe()
    {
        var pipe = CreatePipe();
        var recording = new RecordingPipeWriter(pipe.Writer);
        var writer = new FrameWriter(recording);

        var flush = await writer.WriteAsync(new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt32BigEndian), new ReadOnlyMemory<byte>(new byte[100]), Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        flush.IsCompleted.Should().BeFalse();
        recording.GetCalls.Should().Be(1);
        recording.Advances.Should().Equal(104);
    }

    [Fact]
    public async Task WriteAsync_SwitchEncoder_BothFramesOnTheWire()
    {
        var pipe = CreatePipe();
        var writer = new FrameWriter(pipe.Writer);

        writer.Write(new DelimiterFrameEncoder(DelimiterCodecOptions.CrLf), new ReadOnlyMemory<byte>(Ascii("HELLO")));
        await writer.WriteAsync(new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt16BigEndian), new ReadOnlySequence<byte>([7]), Ct).AsTask().WaitAsync(TestTimeouts.Default, Ct);

        pipe.Reader.TryRead(out var read).Should().BeTrue();
        read.Buffer.ToArray().Should().Equal(Concat(Ascii("HELLO\r\n"), [0, 1, 7]));
    }

    [Fact]
    public void Write_NullEncoder_Throws()
    {
        var writer = new FrameWriter(CreatePipe().Writer);

        FluentActions.Invoking(() => writer.Write<ReadOnlyMemory<byte>>(null!, default)).Should().Throw<ArgumentNullException>();
    }

    /// <summary>Forwards to a real pipe writer and records how the encoder asked for memory.</summary>
    private sealed class RecordingPipeWriter(PipeWriter inner) : PipeWriter
    {
        public int GetCalls { get; private set; }

        public List<int> Advances { get; } = [];

        public override void Advance(int bytes)
        {
            Advances.Add(bytes);
            inner.Advance(bytes);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            GetCalls++;
            return inner.GetMemory(sizeHint);
        }

        public override Span<byte> GetSpan(int sizeHint = 0)
        {
            GetCalls++;
            return inner.GetSpan(sizeHint);
        }
    }
}
