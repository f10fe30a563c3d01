using System.Buffers;
using TcpToolkit.Connections;
using TcpToolkit.Framing;

namespace TcpToolkit.IntegrationTests;

/// <summary>Framed server handlers the framing and hostile-peer tests share.</summary>
internal static class FramedHandlers
{
    /// <summary>Echoes each length-prefixed frame back as a frame, flushing before each wait (like the EchoServer sample).</summary>
    public static ConnectionHandler Echo(LengthFieldCodecOptions options)
        => EchoFrames(() => new LengthFieldFrameDecoder(options), () => new LengthFieldFrameEncoder(options));

    /// <summary>Echoes each line (LF-terminated) back as a line, flushing before each wait (like the EchoServer sample).</summary>
    public static ConnectionHandler EchoLines()
        => EchoFrames(() => new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed), () => new DelimiterFrameEncoder(DelimiterCodecOptions.LineFeed));

    /// <summary>Sends <paramref name="payload"/> as a frame and checks that it comes back unchanged.</summary>
    public static async Task RoundTripAsync(Connection connection, FrameReader reader, LengthFieldCodecOptions options, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        await new FrameWriter(connection.Output).WriteAsync(new LengthFieldFrameEncoder(options), payload, ct);
        var result = await reader.ReadAsync(new LengthFieldFrameDecoder(options), ct);
        result.HasFrame.Should().BeTrue("the server must answer");
        if (!result.Frame.ToArray().AsSpan().SequenceEqual(payload.Span))
        {
            Assert.Fail("the echoed frame differs from the request");
        }
    }

    private static ConnectionHandler EchoFrames(
        Func<IFrameDecoder<ReadOnlySequence<byte>>> createDecoder,
        Func<IFrameEncoder<ReadOnlySequence<byte>>> createEncoder) => async (connection, stopping) =>
    {
        var reader = new FrameReader(connection.Input);
        var writer = new FrameWriter(connection.Output);
        var decoder = createDecoder();
        var encoder = createEncoder();
        while (true)
        {
            var read = reader.ReadAsync(decoder, stopping);
            if (!read.IsCompleted)
            {
                await writer.FlushAsync(stopping);
            }

            var result = await read;
            if (!result.HasFrame)
            {
                // The peer's FIN: send what the last read produced, then return (the server closes).
                await writer.FlushAsync(stopping);
                return;
            }

            writer.Write(encoder, result.Frame);
        }
    };
}
