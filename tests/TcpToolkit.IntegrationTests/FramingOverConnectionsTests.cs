using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Transport;
using TcpToolkit.Samples.EchoServer;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// The framing layer over a connection, on both transports (the same server handlers over loopback sockets and in
/// memory), and the EchoServer sample's framed modes over sockets.
/// </summary>
public sealed class FramingOverConnectionsTests
{
    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task FramedEchoLength32_100000RandomFramesPipelined_AllComeBackInOrder(TestTransport transport)
    {
        const int Frames = 100_000;
        var ct = TestServers.Timeout();
        var options = LengthFieldCodecOptions.UInt32BigEndian;
        await using var host = await TestHost.StartAsync(transport, FramedHandlers.Echo(options));
        await using var connection = await host.ConnectAsync(ct);

        // The writer runs ahead of the reader: many frames in flight, flushed in batches.
        var send = Task.Run(
            async () =>
            {
                var writer = new FrameWriter(connection.Output);
                var encoder = new LengthFieldFrameEncoder(options);
                var random = new Random(42);
                var payload = new byte[2048];
                for (var i = 0; i < Frames; i++)
                {
                    var length = random.Next(0, 2048);
                    Fill(payload.AsSpan(0, length), i);
                    writer.Write(encoder, payload.AsMemory(0, length));
                    if (i % 64 == 63)
                    {
                        await writer.FlushAsync(ct);
                    }
                }

                await writer.FlushAsync(ct);
            },
            ct);

        var reader = new FrameReader(connection.Input);
        var decoder = new LengthFieldFrameDecoder(options);
        var expectedRandom = new Random(42);
        var expected = new byte[2048];
        long bytes = 0;
        for (var i = 0; i < Frames; i++)
        {
            var result = await reader.ReadAsync(decoder, ct);
            result.HasFrame.Should().BeTrue($"frame {i} must arrive");
            var length = expectedRandom.Next(0, 2048);
            Fill(expected.AsSpan(0, length), i);
            if (!result.Frame.ToArray().AsSpan().SequenceEqual(expected.AsSpan(0, length)))
            {
                Assert.Fail($"frame {i} differs: {result.Frame.Length} bytes received, {length} expected");
            }

            bytes += length;
        }

        await send;
        await connection.Output.CompleteAsync();
        (await reader.ReadAsync(decoder, ct)).IsCompleted.Should().BeTrue("the server closes after our FIN");
        TestContext.Current.TestOutputHelper?.WriteLine($"length32 echo over {transport}: {Frames} frames, {bytes} payload bytes each way");
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task FramedEchoLine_LinesSplitAcrossSends_ComeBackWhole(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        await using var host = await TestHost.StartAsync(transport, FramedHandlers.EchoLines());
        await using var connection = await host.ConnectAsync(ct);

        await SendLinesInPiecesAsync(connection, ct);

        (await ReadLinesEchoedAsync(connection, ct)).Should().Be("hello\nworld\n\nlast\n");
    }

    [Theory]
    [InlineData("length32")]
    [InlineData("line")]
    public async Task EchoServerSample_FramedMode_EchoesFramesOverSockets(string framing)
    {
        var ct = TestServers.Timeout();
        var endPoint = await StartEchoServerAsync(framing, ct);
        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync(endPoint, ct);

        if (framing == "line")
        {
            await SendLinesInPiecesAsync(connection, ct);
            (await ReadLinesEchoedAsync(connection, ct)).Should().Be("hello\nworld\n\nlast\n");
        }
        else
        {
            var reader = new FrameReader(connection.Input);
            foreach (var length in new[] { 0, 1, 300, 70_000 })
            {
                await FramedHandlers.RoundTripAsync(connection, reader, LengthFieldCodecOptions.UInt32BigEndian, TestServers.RandomBytes(length, length), ct);
            }

            await connection.Output.CompleteAsync();
            (await reader.ReadAsync(new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt32BigEndian), ct)).IsCompleted.Should().BeTrue("the sample closes after our FIN");
        }
    }

    [Theory]
    [ClassData(typeof(AllTransports))]
    public async Task SwitchCodecMidConnection_LineHandshakeThenLengthFrames_Works(TestTransport transport)
    {
        var ct = TestServers.Timeout();
        var lines = DelimiterCodecOptions.LineFeed;
        var frames = LengthFieldCodecOptions.UInt16BigEndian;
        await using var host = await TestHost.StartAsync(transport, async (connection, stopping) =>
        {
            var reader = new FrameReader(connection.Input);
            var writer = new FrameWriter(connection.Output);
            var hello = await reader.ReadAsync(new DelimiterFrameDecoder(lines), stopping);
            hello.Frame.ToArray().Should().Equal("HELLO v1"u8.ToArray());
            await writer.WriteAsync(new DelimiterFrameEncoder(lines), "OK"u8.ToArray().AsMemory(), stopping);

            // From here on: length-prefixed frames, answered reversed.
            var decoder = new LengthFieldFrameDecoder(frames);
            var encoder = new LengthFieldFrameEncoder(frames);
            while ((await reader.ReadAsync(decoder, stopping)) is { HasFrame: true } result)
            {
                var reversed = result.Frame.ToArray();
                Array.Reverse(reversed);
                await writer.WriteAsync(encoder, reversed.AsMemory(), stopping);
            }
        });
        await using var connection = await host.ConnectAsync(ct);

        // The handshake line and the first frame in one send: the server must not lose the frame's bytes.
        var first = new ArrayBufferWriter<byte>();
        first.Write("HELLO v1\n"u8);
        new LengthFieldFrameEncoder(frames).Encode("abc"u8.ToArray().AsMemory(), first);
        await connection.SendAsync(first.WrittenMemory, ct);
        await connection.SendAsync(Frame16("xyz"u8), ct);
        await connection.Output.CompleteAsync();

        var reply = new FrameReader(connection.Input);
        (await reply.ReadAsync(new DelimiterFrameDecoder(lines), ct)).Frame.ToArray().Should().Equal("OK"u8.ToArray());
        var replies = new LengthFieldFrameDecoder(frames);
        (await reply.ReadAsync(replies, ct)).Frame.ToArray().Should().Equal("cba"u8.ToArray());
        (await reply.ReadAsync(replies, ct)).Frame.ToArray().Should().Equal("zyx"u8.ToArray());
        (await reply.ReadAsync(replies, ct)).IsCompleted.Should().BeTrue();
    }

    private static async Task SendLinesInPiecesAsync(Connection connection, CancellationToken ct)
    {
        foreach (var piece in new[] { "hel", "lo\nwor", "ld\n", "\n", "last\n" })
        {
            await connection.SendAsync(System.Text.Encoding.ASCII.GetBytes(piece), ct);
        }

        await connection.Output.CompleteAsync();
    }

    private static async Task<string> ReadLinesEchoedAsync(Connection connection, CancellationToken ct)
        => System.Text.Encoding.ASCII.GetString(await TestServers.ReadToEndAsync(connection, ct));

    private static byte[] Frame16(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[2 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
        payload.CopyTo(frame.AsSpan(2));
        return frame;
    }

    private static void Fill(Span<byte> span, int frameIndex)
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (byte)(frameIndex + (i * 31));
        }
    }

    private static async Task<EndPoint> StartEchoServerAsync(string framing, CancellationToken ct)
    {
        var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = EchoServerApp.RunAsync(["--port", "0", "--framing", framing, "--quiet"], TextWriter.Null, e => listening.SetResult(e), ct);
        return await listening.Task.WaitAsync(ct);
    }
}
