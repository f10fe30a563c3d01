using System.Buffers;
using System.Text;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Protocol;
using TcpToolkit.Tls;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>
/// TLS under every codec on real loopback sockets: the codecs read and write <c>connection.Transport</c> and see
/// plaintext; the bytes on the wire are TLS records.
/// </summary>
public sealed class TlsCodecEchoTests
{
    private static readonly FixedSizeCodecOptions FixedSize = new() { FrameLength = 16 };
    private static readonly MarkerCodecOptions Markers = new();

    public static TheoryData<string> FrameCodecs => ["length-field", "delimiter", "fixed-size", "marker"];

    [Theory]
    [MemberData(nameof(FrameCodecs))]
    public async Task Echo_FrameCodecOverTls_EveryFrameComesBackUnchanged(string codec)
    {
        var ct = TestServers.Timeout();
        var (decoder, encoder) = Codec(codec);
        await using var server = await TlsTesting.StartServerAsync(EchoFrames(() => Codec(codec)), TlsTesting.ServerOptions());
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var reader = new FrameReader(connection.Input);
        var writer = new FrameWriter(connection.Output);

        foreach (var text in new[] { "first frame 0001", "second frame 002", "the third one 03" })
        {
            var payload = Encoding.ASCII.GetBytes(text);
            await writer.WriteAsync(encoder, new ReadOnlySequence<byte>(payload), ct);
            var result = await reader.ReadAsync(decoder, ct);

            result.HasFrame.Should().BeTrue();
            Encoding.ASCII.GetString(result.Frame.ToArray()).Should().Be(text);
        }

        connection.GetFeature<TlsConnectionInfo>().Should().NotBeNull("the client's pipeline ran the TLS middleware");
    }

    [Fact]
    public async Task Echo_JsonHeaderCodecOverTls_TheGuideMessageComesBackUnchanged()
    {
        var ct = TestServers.Timeout();
        await using var server = await TlsTesting.StartServerAsync(
            EchoFrames<JsonHeaderMessage>(() => (new JsonHeaderDecoder(), new JsonHeaderEncoder())),
            TlsTesting.ServerOptions());
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        var request = JsonHeaderMessage.CreateJson(new("action", "search"), new("value", "morpheus"));
        await new FrameWriter(connection.Output).WriteAsync(new JsonHeaderEncoder(), request, ct);
        var response = await new FrameReader(connection.Input).ReadAsync(new JsonHeaderDecoder(), ct);

        response.HasFrame.Should().BeTrue();
        response.Frame.ContentType.Should().Be(JsonHeaderMessage.TextJsonContentType);
        response.Frame.GetContentText().Should().Be(request.GetContentText());
    }

    [Fact]
    public async Task Echo_OneMegabyteThenHalfClose_AllBytesBackThenEof()
    {
        // Many TLS records each way, backpressure through both layers, and the seam's close rule: the client's
        // completed output becomes close_notify + FIN, the server sees EOF, echoes the rest and closes the same way.
        var ct = TestServers.Timeout();
        await using var server = await TlsTesting.StartServerAsync(TestServers.EchoAsync, TlsTesting.ServerOptions());
        await using var client = TlsTesting.CreateClient(TlsTesting.ClientOptions());
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var payload = TestServers.RandomBytes(1024 * 1024, seed: 12);

        var echoed = await TlsTesting.EchoAsync(connection, payload, ct);

        echoed.Should().Equal(payload);
    }

    private static (IFrameDecoder<ReadOnlySequence<byte>> Decoder, IFrameEncoder<ReadOnlySequence<byte>> Encoder) Codec(string codec) => codec switch
    {
        "length-field" => (new LengthFieldFrameDecoder(LengthFieldCodecOptions.UInt32BigEndian), new LengthFieldFrameEncoder(LengthFieldCodecOptions.UInt32BigEndian)),
        "delimiter" => (new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed), new DelimiterFrameEncoder(DelimiterCodecOptions.LineFeed)),
        "fixed-size" => (new FixedSizeFrameDecoder(FixedSize), new FixedSizeFrameEncoder(FixedSize)),
        "marker" => (new MarkerFrameDecoder(Markers), new MarkerFrameEncoder(Markers)),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown codec."),
    };

    /// <summary>Echoes each decoded frame re-encoded, flushing before each wait, until the peer's EOF.</summary>
    private static ConnectionHandler EchoFrames<TFrame>(Func<(IFrameDecoder<TFrame> Decoder, IFrameEncoder<TFrame> Encoder)> create)
        => async (connection, stopping) =>
        {
            var (decoder, encoder) = create();
            var reader = new FrameReader(connection.Input);
            var writer = new FrameWriter(connection.Output);
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
                    await writer.FlushAsync(stopping);
                    return;
                }

                writer.Write(encoder, result.Frame);
            }
        };
}
