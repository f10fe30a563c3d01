using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Framing;
using TcpToolkit.Redis;
using TcpToolkit.Sessions;
using TcpToolkit.Transport;

namespace TcpToolkit.Benchmarks.Broadcast;

/// <summary>
/// <c>broadcast [--members 1000,10000] [--instances 1,2] [--latency 50] [--burst 500] [--size 64] [--redis HOST:PORT]</c>:
/// one message to a room of N members over loopback TCP, on one server instance and on two instances whose registries
/// share a Redis backplane (the message is broadcast on the first; half the members are on the second). The members
/// run in a <c>broadcast-client</c> process. Reports the time until the last member has a message (one message at a
/// time: p50, p99, max) and, for a burst sent as fast as the broadcaster can, messages per second and deliveries per
/// second (messages x members). Without <c>--redis</c> it starts its own redis-server for the two-instance runs.
/// </summary>
internal static class BroadcastHarness
{
    private const int WarmUp = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        int[] memberCounts = [1000, 10_000];
        int[] instanceCounts = [1, 2];
        var latencyMessages = 50;
        var burstMessages = 500;
        var size = 64;
        string? redis = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--members": memberCounts = Ints(value); break;
                case "--instances": instanceCounts = Ints(value); break;
                case "--latency": latencyMessages = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--burst": burstMessages = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--redis": redis = value; break;
                default:
                    Console.Error.WriteLine("Usage: broadcast [--members 1000,10000] [--instances 1,2] [--latency 50] [--burst 500] [--size 64] [--redis HOST:PORT]");
                    return 1;
            }
        }

        Process? redisServer = null;
        if (redis is null && instanceCounts.Any(n => n > 1))
        {
            (redisServer, redis) = await StartRedisAsync();
        }

        try
        {
            Console.WriteLine($"broadcast: {size}-byte lines, {latencyMessages} one at a time, a burst of {burstMessages}; {Environment.ProcessorCount} cores");
            Console.WriteLine("members  instances  last member has it: p50      p99      max    burst: messages/s  deliveries/s");
            foreach (var members in memberCounts)
            {
                foreach (var instances in instanceCounts)
                {
                    var result = await RunScenarioAsync(members, instances, latencyMessages, burstMessages, size, redis);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{members,7}  {instances,9}  {result.P50,26:F2} ms {result.P99,6:F2} ms {result.Max,6:F2} ms  {result.MessagesPerSecond,17:N0}  {result.DeliveriesPerSecond,12:N0}"));
                }
            }
        }
        finally
        {
            if (redisServer is not null)
            {
                redisServer.Kill(entireProcessTree: true);
                await redisServer.WaitForExitAsync();
                redisServer.Dispose();
            }
        }

        return 0;
    }

    private static async Task<Result> RunScenarioAsync(int members, int instances, int latencyMessages, int burstMessages, int size, string? redis)
    {
        var servers = new List<(TcpServer Server, SessionRegistry<object> Registry, RedisSessionBackplane? Backplane)>();
        var channel = "tcptoolkit-bench:" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < instances; i++)
        {
            var backplane = instances > 1
                ? await RedisSessionBackplane.ConnectAsync(new RedisSessionBackplaneOptions { Configuration = redis!, Channel = channel })
                : null;
            var registry = new SessionRegistry<object>(new SessionRegistryOptions { Backplane = backplane, SendQueueLimit = Math.Max(1024, burstMessages * 2) });
            var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 0) } };
            options.Middleware.Use(registry.Middleware);
            var server = new TcpServer(options, async (connection, stopping) =>
            {
                connection.GetFeature<Session<object>>()!.Join("room");
                while (true)
                {
                    var read = await connection.Input.ReadAsync(stopping);
                    connection.Input.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        return;
                    }
                }
            });
            await server.StartAsync();
            servers.Add((server, registry, backplane));
        }

        var total = WarmUp + latencyMessages + burstMessages;
        var done = Enumerable.Range(0, total).Select(_ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["exec", typeof(BroadcastClient).Assembly.Location, "broadcast-client",
            "--ports", string.Join(',', servers.Select(s => ((IPEndPoint)s.Server.LocalEndPoint).Port.ToString(CultureInfo.InvariantCulture))),
            "--members", members.ToString(CultureInfo.InvariantCulture), "--messages", total.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        using var client = Process.Start(start) ?? throw new InvalidOperationException("Could not start broadcast-client.");
        var reading = Task.Run(async () =>
        {
            while (await client.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ');
                if (parts[0] == "connected")
                {
                    connected.TrySetResult();
                }
                else if (parts[0] == "done")
                {
                    done[int.Parse(parts[1], CultureInfo.InvariantCulture)].TrySetResult(long.Parse(parts[2], CultureInfo.InvariantCulture));
                }
            }
        });

        try
        {
            await connected.Task.WaitAsync(TimeSpan.FromSeconds(120));
            var perInstance = servers.Select((_, i) => (members / instances) + (i < members % instances ? 1 : 0)).ToList();
            while (servers.Select((s, i) => s.Registry.GetGroupMemberCount("room") < perInstance[i]).Any(b => b))
            {
                await Task.Delay(50);
            }

            var publisher = servers[0].Registry;
            var encoder = new DelimiterFrameEncoder(DelimiterCodecOptions.LineFeed);
            var payload = new byte[size - 1];
            payload.AsSpan().Fill((byte)'m');
            ReadOnlyMemory<byte> frame = payload;
            var next = 0;

            // Warm-up and one message at a time: the time from the broadcast call until the last member has it.
            var latencies = new List<double>();
            for (var i = 0; i < WarmUp + latencyMessages; i++, next++)
            {
                var sent = Stopwatch.GetTimestamp();
                publisher.BroadcastToGroup("room", encoder, frame);
                var arrived = await done[next].Task.WaitAsync(TimeSpan.FromSeconds(60));
                if (i >= WarmUp)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
                }
            }

            // The burst: every message as fast as the broadcaster can, until the last member has the last one.
            var burstStart = Stopwatch.GetTimestamp();
            for (var i = 0; i < burstMessages; i++)
            {
                publisher.BroadcastToGroup("room", encoder, frame);
            }

            var burstEnd = await done[next + burstMessages - 1].Task.WaitAsync(TimeSpan.FromSeconds(120));
            var seconds = Stopwatch.GetElapsedTime(burstStart, burstEnd).TotalSeconds;
            var dropped = servers.Sum(s => s.Registry.DroppedMessageCount);
            if (dropped > 0)
            {
                Console.Error.WriteLine($"warning: {dropped} messages dropped by full send queues");
            }

            latencies.Sort();
            return new Result(
                latencies[latencies.Count / 2],
                latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)],
                latencies[^1],
                burstMessages / seconds,
                burstMessages * (double)members / seconds);
        }
        finally
        {
            client.StandardInput.Close();
            await client.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await reading;
            foreach (var (server, registry, backplane) in servers)
            {
                await server.DisposeAsync();
                await registry.DisposeAsync();
                if (backplane is not null)
                {
                    await backplane.DisposeAsync();
                }
            }
        }
    }

    private static async Task<(Process Process, string Configuration)> StartRedisAsync()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start redis-server (apt-get install -y redis-server).");
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                // Keep draining its output so it never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                return (process, string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"));
            }
        }

        throw new InvalidOperationException("redis-server exited before it was ready.");
    }

    private static int[] Ints(string value) => [.. value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))];

    private sealed record Result(double P50, double P99, double Max, double MessagesPerSecond, double DeliveriesPerSecond);
}
