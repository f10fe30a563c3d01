using System.Buffers;
using System.IO.Pipelines;
using TcpToolkit.Connections;
using TcpToolkit.Framing;

namespace TcpToolkit.Cli;

/// <summary>
/// <c>tcptk listen</c> and <c>tcptk connect</c>: joins a connection to stdin and stdout, netcat style. Raw copies
/// bytes both ways; a framed codec sends each stdin line as one frame and prints each received frame as a line.
/// At stdin's EOF the connection's output is completed (FIN); the bridge ends at the peer's EOF.
/// </summary>
internal static class StdioBridge
{
    /// <summary>
    /// Bridges a connection: stdin's EOF completes the connection's output (FIN; over TLS the layer sends close_notify
    /// first); the peer's EOF (its close_notify or FIN) ends the bridge.
    /// </summary>
    public static Task RunAsync(Connection connection, Codec codec, Stream stdin, Stream stdout, CancellationToken cancellationToken)
        => RunAsync(connection.Input, connection.Output, () => connection.Output.CompleteAsync(), codec, stdin, stdout, cancellationToken);

    private static async Task RunAsync(
        PipeReader input, PipeWriter output, Func<ValueTask> finishSending, Codec codec, Stream stdin, Stream stdout, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = SendStdinAsync(output, finishSending, codec, stdin, linked.Token);
        try
        {
            await (codec == Codec.Raw
                ? CopyRawAsync(input, stdout, cancellationToken)
                : PrintFramesAsync(input, codec, stdout, cancellationToken));
        }
        finally
        {
            // The peer is done: stop reading stdin (it may never reach EOF, e.g. a terminal).
            await linked.CancelAsync();
            await sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task SendStdinAsync(PipeWriter output, Func<ValueTask> finishSending, Codec codec, Stream stdin, CancellationToken cancellationToken)
    {
        if (codec == Codec.Raw)
        {
            await stdin.CopyToAsync(output, cancellationToken);
        }
        else
        {
            var encoder = Codecs.CreateEncoder(codec);
            var lines = PipeReader.Create(stdin, new StreamPipeReaderOptions(leaveOpen: true));
            var reader = new FrameReader(lines);
            var writer = new FrameWriter(output);
            var lineDecoder = new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed);
            while (true)
            {
                var result = await reader.ReadAsync(lineDecoder, cancellationToken);
                if (!result.HasFrame)
                {
                    break;
                }

                writer.Write(encoder, result.Frame);
                await writer.FlushAsync(cancellationToken);
            }

            await lines.CompleteAsync();
        }

        // stdin's EOF: FIN (after TLS close_notify) to the peer after every pending byte.
        await finishSending();
    }

    private static async Task CopyRawAsync(PipeReader input, Stream stdout, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                await stdout.WriteAsync(segment, cancellationToken);
            }

            input.AdvanceTo(result.Buffer.End);
            await stdout.FlushAsync(cancellationToken);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static async Task PrintFramesAsync(PipeReader input, Codec codec, Stream stdout, CancellationToken cancellationToken)
    {
        var decoder = Codecs.CreateDecoder(codec);
        var reader = new FrameReader(input);
        var line = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await reader.ReadAsync(decoder, cancellationToken);
            if (!result.HasFrame)
            {
                return;
            }

            line.ResetWrittenCount();
            foreach (var segment in result.Frame)
            {
                line.Write(segment.Span);
            }

            line.Write("\n"u8);
            await stdout.WriteAsync(line.WrittenMemory, cancellationToken);
            await stdout.FlushAsync(cancellationToken);
        }
    }
}
