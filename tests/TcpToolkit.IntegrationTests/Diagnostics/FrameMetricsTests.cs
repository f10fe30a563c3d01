namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary><c>frames</c>, <c>frame.size</c> and <c>frame.decode_errors</c> on both sides, after the scenario's steps.</summary>
public sealed class FrameMetricsTests
{
    [Fact]
    public async Task Frames_EchoedBothWays_CountedByDirectionAndCodecOnBothSides()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.EchoFramesAsync(count: 20, size: 100, ct);

        foreach (var name in new[] { Names.ServerFrames, Names.ClientFrames })
        {
            scenario.Recorder.Observed(name, ("network.io.direction", "receive"), ("tcptoolkit.frame.codec", "length_field")).Should().Be(20, name);
            scenario.Recorder.Observed(name, ("network.io.direction", "transmit"), ("tcptoolkit.frame.codec", "length_field")).Should().Be(20, name);
        }

        foreach (var name in new[] { Names.ServerFrameSize, Names.ClientFrameSize })
        {
            var sizes = scenario.Recorder.Recorded(name);
            sizes.Should().HaveCount(40, name);
            sizes.All(m => m.Value == 104 && m.Has(("tcptoolkit.frame.codec", "length_field"))).Should().BeTrue("a frame is a 4-byte header and 100 bytes");
            sizes.Count(m => m.Has(("network.io.direction", "receive"))).Should().Be(20);
        }
    }

    [Fact]
    public async Task Frames_ConnectionStillOpen_CountedFromTheLiveConnection()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        await using var connection = await scenario.Client.ConnectAsync(scenario.Server.LocalEndPoint, ct);
        await connection.SendAsync("e"u8.ToArray(), ct);
        var reader = new Framing.FrameReader(connection);
        var writer = new Framing.FrameWriter(connection);

        for (var i = 0; i < 3; i++)
        {
            await writer.WriteAsync(new Framing.LengthFieldFrameEncoder(DiagnosticsScenario.Codec), new byte[10], ct);
            (await reader.ReadAsync(new Framing.LengthFieldFrameDecoder(DiagnosticsScenario.Codec), ct)).HasFrame.Should().BeTrue();
        }

        scenario.Recorder.Observed(Names.ClientFrames, ("network.io.direction", "transmit")).Should().Be(3);
        scenario.Recorder.Observed(Names.ClientFrames, ("network.io.direction", "receive")).Should().Be(3);
        scenario.Recorder.Observed(Names.ServerFrames, ("network.io.direction", "receive")).Should().Be(3);
    }

    [Fact]
    public async Task Frames_EchoedAsRuns_EveryFrameOfEachRunCountedBothWays()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        var server = await scenario.StartServerAsync(async (connection, stopping) =>
        {
            var reader = new Framing.FrameReader(connection);
            var writer = new Framing.FrameWriter(connection);
            var decoder = new Framing.LengthFieldFrameDecoder(DiagnosticsScenario.Codec);
            while (true)
            {
                var read = reader.ReadRunAsync(decoder, stopping);
                if (!read.IsCompleted)
                {
                    await writer.FlushAsync(stopping);
                }

                var run = await read;
                if (!run.HasFrames)
                {
                    await writer.FlushAsync(stopping);
                    return;
                }

                writer.WriteRun(run);
            }
        });
        await using var client = new TcpToolkit.Transport.TcpClient();
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var encoder = new Framing.LengthFieldFrameEncoder(DiagnosticsScenario.Codec);
        var burst = new Framing.FrameWriter(connection.Output);
        for (var i = 0; i < 20; i++)
        {
            burst.Write(encoder, new byte[i < 10 ? 100 : 50]);
        }

        await burst.FlushAsync(ct);
        var reader = new Framing.FrameReader(connection.Input);
        for (var i = 0; i < 20; i++)
        {
            (await reader.ReadAsync(new Framing.LengthFieldFrameDecoder(DiagnosticsScenario.Codec), ct)).HasFrame.Should().BeTrue();
        }

        scenario.Recorder.Observed(Names.ServerFrames, ("network.io.direction", "receive"), ("tcptoolkit.frame.codec", "length_field")).Should().Be(20);
        scenario.Recorder.Observed(Names.ServerFrames, ("network.io.direction", "transmit"), ("tcptoolkit.frame.codec", "length_field")).Should().Be(20);
        var sizes = scenario.Recorder.Recorded(Names.ServerFrameSize);
        sizes.Where(m => m.Has(("network.io.direction", "receive"))).Select(m => (long)m.Value).Should().BeEquivalentTo(
            Enumerable.Repeat(104L, 10).Concat(Enumerable.Repeat(54L, 10)), "the reader records each frame of a run at its own size");
        sizes.Count(m => m.Has(("network.io.direction", "transmit"))).Should().Be(20, "the writer records every frame of a run");
    }

    [Fact]
    public async Task FrameSize_NotOptedIn_FramesCountedButNoSizes()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();
        var server = await scenario.StartServerAsync(FramedHandlers.Echo(DiagnosticsScenario.Codec), options => options.RecordFrameSizes = false);
        await using var client = new TcpToolkit.Transport.TcpClient(new TcpToolkit.Transport.TcpClientOptions { MeterFactory = scenario.Factory });
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var reader = new Framing.FrameReader(connection);

        await new Framing.FrameWriter(connection).WriteAsync(new Framing.LengthFieldFrameEncoder(DiagnosticsScenario.Codec), new byte[10], ct);
        (await reader.ReadAsync(new Framing.LengthFieldFrameDecoder(DiagnosticsScenario.Codec), ct)).HasFrame.Should().BeTrue();

        scenario.Recorder.Observed(Names.ClientFrames).Should().Be(2);
        scenario.Recorder.Recorded(Names.ClientFrameSize).Should().BeEmpty();
        scenario.Recorder.Recorded(Names.ServerFrameSize).Should().BeEmpty();
    }

    [Fact]
    public async Task DecodeErrors_FrameOverTheMaximum_CountedAsFrameTooLargeOfItsCodec()
    {
        var ct = TestServers.Timeout();
        await using var scenario = await DiagnosticsScenario.StartAsync();

        await scenario.CloseEachWayAsync(ct);

        scenario.Recorder.Recorded(Names.ServerDecodeErrors).Should().ContainSingle()
            .Which.Has(("error.type", "frame_too_large"), ("tcptoolkit.frame.codec", "length_field")).Should().BeTrue();
        scenario.Recorder.Recorded(Names.ClientDecodeErrors).Should().BeEmpty();
    }
}
