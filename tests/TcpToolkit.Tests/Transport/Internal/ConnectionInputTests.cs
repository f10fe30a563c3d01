using System.Buffers;
using System.IO.Pipelines;
using TcpToolkit.Transport.Internal;

namespace TcpToolkit.Tests.Transport.Internal;

/// <summary>
/// The connection's input before and across the publication of its pipe (issue #17: the pipe is created at the first
/// bytes). The races the socket tests cannot pin down are driven here step by step: a canceled result handed out
/// before the pipe and advanced after it, a completion and a cancel carried over. A real <see cref="Pipe"/> stands for
/// the one the transport creates.
/// </summary>
public sealed class ConnectionInputTests
{
    [Fact]
    public async Task CanceledBeforeThePipe_AdvancedAfterItIsPublished_TheNextReadGetsTheBytes()
    {
        var input = new ConnectionInput();
        var read = input.ReadAsync(TestContext.Current.CancellationToken);
        read.IsCompleted.Should().BeFalse();
        input.CancelPendingRead();
        var canceled = await read;
        canceled.IsCanceled.Should().BeTrue();

        // The bytes come (and the pipe is published) before the application advances past its canceled result.
        var pipe = await PipeWithAsync("hello"u8.ToArray());
        input.Publish(pipe.Reader);
        input.AdvanceTo(canceled.Buffer.Start, canceled.Buffer.End);

        var result = await input.ReadAsync(TestContext.Current.CancellationToken);
        result.Buffer.ToArray().Should().Equal("hello"u8.ToArray());
        input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task CancelWithNoReadPending_CarriedOverToThePipe_TheFirstPipeReadIsCanceled()
    {
        var input = new ConnectionInput();
        input.CancelPendingRead();
        var pipe = await PipeWithAsync("hi"u8.ToArray());
        input.Publish(pipe.Reader);

        var first = await input.ReadAsync(TestContext.Current.CancellationToken);
        first.IsCanceled.Should().BeTrue("a cancel with no read pending makes the next read return canceled, as a pipe's");
        input.AdvanceTo(first.Buffer.Start);
        var second = await input.ReadAsync(TestContext.Current.CancellationToken);
        second.Buffer.ToArray().Should().Equal("hi"u8.ToArray());
        input.AdvanceTo(second.Buffer.End);
    }

    [Fact]
    public async Task CompletedBeforeThePipe_ThePipesWriterSeesTheReaderGone()
    {
        var input = new ConnectionInput();
        input.Complete();
        var pipe = new Pipe();
        pipe.Writer.Write("x"u8);
        var flush = pipe.Writer.FlushAsync(TestContext.Current.CancellationToken);
        input.Publish(pipe.Reader);

        (await flush).IsCompleted.Should().BeFalse("the flush came before the publication");
        pipe.Writer.Write("y"u8);
        (await pipe.Writer.FlushAsync(TestContext.Current.CancellationToken)).IsCompleted.Should().BeTrue("the transport stops receiving once the application completed its input");
    }

    [Fact]
    public async Task PendingFirstRead_PublishedWithBytes_CompletesWithThem()
    {
        var input = new ConnectionInput();
        using var cancel = new CancellationTokenSource();
        var read = input.ReadAsync(cancel.Token);
        var pipe = await PipeWithAsync("abc"u8.ToArray());
        input.Publish(pipe.Reader);

        var result = await read;
        result.Buffer.ToArray().Should().Equal("abc"u8.ToArray());
        input.AdvanceTo(result.Buffer.End);

        // The token's registration was undone at the publication: cancelling now reaches nothing.
        await cancel.CancelAsync();
        var next = input.ReadAsync(TestContext.Current.CancellationToken);
        next.IsCompleted.Should().BeFalse();
        await pipe.Writer.CompleteAsync();
        (await next).IsCompleted.Should().BeTrue();
    }

    [Fact]
    public async Task PendingFirstRead_WriterCompletedWithAnError_FailsWithIt()
    {
        var input = new ConnectionInput();
        var read = input.ReadAsync(TestContext.Current.CancellationToken);
        var pipe = new Pipe();
        await pipe.Writer.CompleteAsync(new IOException("reset"));
        input.Publish(pipe.Reader);

        var act = async () => await read;
        (await act.Should().ThrowAsync<IOException>()).WithMessage("reset");
    }

    [Fact]
    public async Task SecondReadBeforeThePipe_WhileOneIsPending_Throws()
    {
        var input = new ConnectionInput();
        var read = input.ReadAsync(TestContext.Current.CancellationToken);
        var act = () => input.ReadAsync(TestContext.Current.CancellationToken);
        act.Should().Throw<InvalidOperationException>();
        input.CancelPendingRead();
        (await read).IsCanceled.Should().BeTrue();
    }

    private static async Task<Pipe> PipeWithAsync(byte[] bytes)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes, TestContext.Current.CancellationToken);
        return pipe;
    }
}
