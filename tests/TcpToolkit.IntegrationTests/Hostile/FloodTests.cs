using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Hostile;

/// <summary>Slowloris trickles and floods of bad frames: the offenders are closed with their reason, the rest is served.</summary>
public sealed class FloodTests
{
    private static readonly LengthFieldCodecOptions s_length32 = LengthFieldCodecOptions.UInt32BigEndian;

    [Fact]
    public async Task Slowloris500Connections_ClosedByDataRateRule_WhileNormalClientRuns1000Requests()
    {
        const int Slow = 500;
        const int Requests = 1000;
        var ct = TestServers.Timeout();
        var time = new ObservableTimeProvider();
        var reasons = new System.Collections.Concurrent.ConcurrentBag<CloseReason>();
        var slowClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var echo = FramedHandlers.Echo(s_length32);
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() =>
                {
                    reasons.Add(connection.CloseReason);
                    if (reasons.Count(r => r == CloseReason.MinDataRate) == Slow)
                    {
                        slowClosed.TrySetResult();
                    }
                });
                return echo(connection, stopping);
            },
            options =>
            {
                options.TimeProvider = time;
                options.MinReceiveDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            });

        // 500 peers each start a 1,000-byte frame and then trickle one byte a (fake) second.
        var slow = new List<Socket>(Slow);
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1000);
        for (var i = 0; i < Slow; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.LocalEndPoint, ct);
            await socket.SendAsync(header, SocketFlags.None, ct);
            slow.Add(socket);
        }

        await using var client = new TcpClient();
        await using var normal = await client.ConnectAsync(server.LocalEndPoint, ct);
        var normalReader = new FrameReader(normal.Input);
        var payload = TestServers.RandomBytes(200, seed: 1);
        var normalRun = Task.Run(
            async () =>
            {
                for (var i = 0; i < Requests; i++)
                {
                    await FramedHandlers.RoundTripAsync(normal, normalReader, s_length32, payload, ct);
                }
            },
            ct);

        for (var second = 0; second < 8 && !slowClosed.Task.IsCompleted; second++)
        {
            foreach (var socket in slow)
            {
                try
                {
                    await socket.SendAsync(new byte[1], SocketFlags.None, ct);
                }
                catch (SocketException)
                {
                    // Already closed by the server: that is the point.
                }
            }

            for (var tick = 0; tick < 4; tick++)
            {
                time.Fake.Advance(TimeSpan.FromMilliseconds(250));
            }
        }

        await slowClosed.Task.WaitAsync(ct);
        await normalRun.WaitAsync(ct);
        await FramedHandlers.RoundTripAsync(normal, normalReader, s_length32, payload, ct);
        ProcessFigures.Report(
            $"slowloris: {Slow} trickling connections closed by the data-rate rule " +
            $"({reasons.Count(r => r == CloseReason.MinDataRate)} MinDataRate closes); the normal client completed {Requests + 1} requests");
        foreach (var socket in slow)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task FloodOfOversizedHeadersAndGarbage_100Connections_EachClosedWithTypedReason_NormalClientServed()
    {
        const int Hostile = 100;
        var ct = TestServers.Timeout();
        using var loggerFactory = new LoggerFactory();
        var logs = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(logs));
        var reasons = new System.Collections.Concurrent.ConcurrentBag<CloseReason>();
        var hostileClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var echo = FramedHandlers.Echo(new LengthFieldCodecOptions { LengthFieldSize = 4, MaxFrameLength = 64 * 1024 });
        await using var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                connection.ConnectionClosed.Register(() =>
                {
                    reasons.Add(connection.CloseReason);
                    if (reasons.Count(r => r == CloseReason.ProtocolError) == Hostile)
                    {
                        hostileClosed.TrySetResult();
                    }
                });
                return echo(connection, stopping);
            },
            options => options.LoggerFactory = loggerFactory);
        await using var client = new TcpClient();
        await using var normal = await client.ConnectAsync(server.LocalEndPoint, ct);
        var normalReader = new FrameReader(normal.Input);
        var payload = TestServers.RandomBytes(1000, seed: 2);

        var random = new Random(3);
        var flood = Enumerable.Range(0, Hostile).Select(async i =>
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.LocalEndPoint, ct);
            byte[] bytes;
            lock (random)
            {
                // Even: a header announcing 2 GiB (oversized); odd: garbage whose first bytes announce a huge length.
                bytes = new byte[4096];
                random.NextBytes(bytes);
                BinaryPrimitives.WriteUInt32BigEndian(bytes, i % 2 == 0 ? 0x8000_0000u : 0x00F0_0000u | (uint)random.Next(0xFFFF));
            }

            try
            {
                await socket.SendAsync(bytes, SocketFlags.None, ct);
                var sink = new byte[1];
                (await socket.ReceiveAsync(sink, SocketFlags.None, ct)).Should().Be(0, "the server closes without answering");
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // The server aborts a protocol violator: a reset is a close too.
            }
        }).ToList();

        // The normal client is answered all through the flood.
        var served = 0;
        while (!Task.WhenAll(flood).IsCompleted || served < 100)
        {
            await FramedHandlers.RoundTripAsync(normal, normalReader, s_length32, payload, ct);
            served++;
        }

        await Task.WhenAll(flood).WaitAsync(ct);
        await hostileClosed.Task.WaitAsync(ct);
        await FramedHandlers.RoundTripAsync(normal, normalReader, s_length32, payload, ct);

        var protocolLogs = logs.GetSnapshot().Where(r => r.Id.Id == 10).ToList();
        ProcessFigures.Report(
            $"flood: {Hostile} hostile connections, {reasons.Count(r => r == CloseReason.ProtocolError)} closed with ProtocolError " +
            $"({protocolLogs.Count} log events, all FrameTooLargeException: {protocolLogs.All(r => r.Message.Contains(nameof(FrameTooLargeException), StringComparison.Ordinal))}); " +
            $"the normal client completed {served + 1} requests during and after the flood");
        protocolLogs.Should().HaveCount(Hostile);
        protocolLogs.Should().OnlyContain(r => r.Message.Contains(nameof(FrameTooLargeException), StringComparison.Ordinal));
        normal.CloseReason.Should().Be(CloseReason.None);
    }
}
