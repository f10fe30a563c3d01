using System.Net;
using System.Text;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Redis;
using TcpToolkit.Sessions;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Sessions;

/// <summary>
/// Issue #16's must-show with a real redis-server: two TcpToolkit servers share one Redis, clients on both are in one
/// room, and every message reaches every member exactly once, in order per sender; Redis is killed and started again
/// mid-run: local delivery never stops, the outage is visible and logged, cross-instance delivery resumes, and any
/// message lost across instances while Redis was down is counted by the receiving registry, never silently lost.
/// </summary>
public sealed class RedisBackplaneTests(ITestOutputHelper output)
{
    private const int MessagesPerClient = 10;
    private const int ClientsPerServer = 3;
    private static readonly DelimiterFrameEncoder s_lines = new(DelimiterCodecOptions.LineFeed);

    [Fact]
    public async Task TwoServersOneRedis_RedisKilledAndRestartedMidRun_LocalDeliveryNeverStopsAndCrossInstanceResumes()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TestTimeouts.Default * 9);
        var ct = deadline.Token;
        var channel = "tcptoolkit-test:" + Guid.NewGuid().ToString("N");
        await using var redis = await RedisProcess.StartAsync(ct);
        await using var a = await Instance.StartAsync("A", redis, channel, ct);
        await using var b = await Instance.StartAsync("B", redis, channel, ct);
        await Task.WhenAll(a.Logs.WaitForAsync(851, 1), b.Logs.WaitForAsync(851, 1)).WaitAsync(ct);
        a.Registry.IsBackplaneConnected.Should().BeTrue();
        b.Registry.IsBackplaneConnected.Should().BeTrue();

        var clients = new List<ChatClient>();
        foreach (var instance in new[] { a, b })
        {
            for (var i = 0; i < ClientsPerServer; i++)
            {
                clients.Add(await ChatClient.ConnectAsync(instance, $"{instance.Name}{i}", ct));
            }
        }

        try
        {
            // Phase 1, Redis up: every member on both servers gets every message.
            await SendAsync(clients, "p1", ct);
            await WaitForAsync(clients, c => clients, "p1", ct);

            // Redis dies: both backplanes notice, say so, and local delivery goes on.
            await redis.StopAsync();
            await Task.WhenAll(a.Logs.WaitForAsync(850, 1), b.Logs.WaitForAsync(850, 1)).WaitAsync(ct);
            a.Backplane.IsConnected.Should().BeFalse();
            b.Registry.IsBackplaneConnected.Should().BeFalse();
            await SendAsync(clients, "p2", ct);
            await WaitForAsync(clients, c => clients.Where(s => s.Instance == c.Instance), "p2", ct);

            // Redis is back: both backplanes say so, and messages cross instances again.
            await redis.StartAgainAsync(ct);
            await Task.WhenAll(a.Logs.WaitForAsync(851, 2), b.Logs.WaitForAsync(851, 2)).WaitAsync(ct);
            await SendAsync(clients, "p3", ct);
            await WaitForAsync(clients, c => clients, "p3", ct);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        foreach (var client in clients)
        {
            var lines = client.Lines.Snapshot().Where(l => l != "JOINED").ToList();
            lines.Should().OnlyHaveUniqueItems($"{client.Name} receives every message at most once");
            foreach (var sender in clients)
            {
                var fromSender = lines.Where(l => l.Split(' ')[1] == sender.Name).ToList();
                fromSender.Should().Equal(fromSender.Order(StringComparer.Ordinal), $"{client.Name} gets {sender.Name}'s messages in the order they were sent");
            }
        }

        // What crossed instances while Redis was down either arrived after it came back (a retried publish) or is
        // counted as missed by the receiving registry: the same count for every member of that instance.
        foreach (var (instance, other) in new[] { (a, b), (b, a) })
        {
            var missing = clients.Where(c => c.Instance == instance)
                .Select(c => clients.Where(s => s.Instance == other).Sum(s => MessagesPerClient - c.Lines.Snapshot().Count(l => l.StartsWith("p2 " + s.Name + " ", StringComparison.Ordinal))))
                .Distinct()
                .ToList();
            missing.Should().ContainSingle($"every member of {instance.Name} got the same broadcasts");
            instance.Registry.BackplaneMissedMessageCount.Should().Be(missing[0], $"{instance.Name} counts every cross-instance message it never got");
            output.WriteLine($"{instance.Name}: {missing[0]} of {ClientsPerServer * MessagesPerClient} outage messages from {other.Name} missed (counted), " +
                $"{instance.Backplane.OutageCount} outage(s), backplane connected: {instance.Backplane.IsConnected}");
        }

        // With Redis back within the resubscribe wait, the queued broadcasts reached the other instance too: nothing missed.
        a.Registry.BackplaneMissedMessageCount.Should().Be(0);
        b.Registry.BackplaneMissedMessageCount.Should().Be(0);
        a.Backplane.OutageCount.Should().Be(1);
        b.Backplane.OutageCount.Should().Be(1);
        a.Registry.IsBackplaneConnected.Should().BeTrue();
        b.Registry.IsBackplaneConnected.Should().BeTrue();
    }

    [Fact]
    public async Task ConnectAsync_RedisDownAtStart_LocalDeliveryWorksAndTheBackplaneComesUpWithRedis()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TestTimeouts.Default * 3);
        var ct = deadline.Token;
        var channel = "tcptoolkit-test:" + Guid.NewGuid().ToString("N");
        await using var redis = await RedisProcess.StartAsync(ct);
        await redis.StopAsync();

        await using var a = await Instance.StartAsync("A", redis, channel, ct);
        await a.Logs.WaitForAsync(850, 1).WaitAsync(ct);
        a.Backplane.IsConnected.Should().BeFalse();
        await using var local = await ChatClient.ConnectAsync(a, "A0", ct);
        await local.SendAsync("p1 A0 000", ct);
        await local.Lines.WaitForLinesAsync(l => l == "p1 A0 000", 1, ct);

        await redis.StartAgainAsync(ct);
        await a.Logs.WaitForAsync(851, 1).WaitAsync(ct);
        await using var b = await Instance.StartAsync("B", redis, channel, ct);
        await b.Logs.WaitForAsync(851, 1).WaitAsync(ct);
        await using var remote = await ChatClient.ConnectAsync(b, "B0", ct);
        await local.SendAsync("p2 A0 001", ct);
        await remote.SendAsync("p2 B0 001", ct);

        await local.Lines.WaitForLinesAsync(l => l.StartsWith("p2 ", StringComparison.Ordinal), 2, ct);
        await remote.Lines.WaitForLinesAsync(l => l.StartsWith("p2 ", StringComparison.Ordinal), 2, ct);
        a.Backplane.OutageCount.Should().Be(0, "it was never available before, so this is not an outage that ended");
        a.Registry.IsBackplaneConnected.Should().BeTrue();
    }

    private static async Task SendAsync(List<ChatClient> clients, string phase, CancellationToken cancellationToken)
    {
        for (var i = 0; i < MessagesPerClient; i++)
        {
            foreach (var client in clients)
            {
                await client.SendAsync($"{phase} {client.Name} {i:D3}", cancellationToken);
            }
        }
    }

    /// <summary>Waits until each client has every <paramref name="phase"/> message of the senders it should hear from.</summary>
    private static Task WaitForAsync(List<ChatClient> clients, Func<ChatClient, IEnumerable<ChatClient>> senders, string phase, CancellationToken cancellationToken)
        => Task.WhenAll(clients.Select(c =>
        {
            var names = senders(c).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            return c.Lines.WaitForLinesAsync(
                l => l.StartsWith(phase + " ", StringComparison.Ordinal) && names.Contains(l.Split(' ')[1]),
                names.Count * MessagesPerClient,
                cancellationToken);
        }));

    /// <summary>One server instance: a TcpServer whose sessions share a Redis backplane; each line a client sends goes to the room.</summary>
    private sealed class Instance : IAsyncDisposable
    {
        private Instance(string name, EventSignalLoggerProvider logs, RedisSessionBackplane backplane, SessionRegistry<string> registry)
        {
            Name = name;
            Logs = logs;
            Backplane = backplane;
            Registry = registry;
        }

        public string Name { get; }

        public EventSignalLoggerProvider Logs { get; }

        public RedisSessionBackplane Backplane { get; }

        public SessionRegistry<string> Registry { get; }

        public TcpServer Server { get; private set; } = null!;

        public static async Task<Instance> StartAsync(string name, RedisProcess redis, string channel, CancellationToken cancellationToken)
        {
            var logs = new EventSignalLoggerProvider();
            var backplane = await RedisSessionBackplane.ConnectAsync(
                new RedisSessionBackplaneOptions
                {
                    Configuration = redis.Configuration,
                    Channel = channel,
                    HealthCheckInterval = TimeSpan.FromMilliseconds(200),
                    ResubscribeWait = TestTimeouts.Default,
                    LoggerFactory = logs,
                },
                cancellationToken);
            var registry = new SessionRegistry<string>(new SessionRegistryOptions
            {
                Backplane = backplane,
                BackplaneRetryDelay = TimeSpan.FromMilliseconds(200),
                LoggerFactory = logs,
            });
            var instance = new Instance(name, logs, backplane, registry);
            instance.Server = await TestServers.StartAsync(instance.ServeAsync, options => options.Middleware.Use(registry.Middleware));
            return instance;
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Registry.DisposeAsync();
            await Backplane.DisposeAsync();
        }

        private async Task ServeAsync(Connection connection, CancellationToken cancellationToken)
        {
            var session = connection.GetFeature<Session<string>>()!;
            session.Join("room");
            session.Send(s_lines, (ReadOnlyMemory<byte>)"JOINED"u8.ToArray());
            var reader = new FrameReader(connection.Input);
            var decoder = new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed);
            while (await reader.ReadAsync(decoder, cancellationToken) is { HasFrame: true } line)
            {
                Registry.BroadcastToGroup("room", s_lines, line.Frame);
            }
        }
    }

    /// <summary>A member: sends lines, and collects every line it receives.</summary>
    private sealed class ChatClient : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private readonly Connection _connection;
        private readonly Task _reading;

        private ChatClient(string name, Instance instance, TcpClient client, Connection connection)
        {
            Name = name;
            Instance = instance;
            _client = client;
            _connection = connection;
            _reading = ReadAsync();
        }

        public string Name { get; }

        public Instance Instance { get; }

        public LineWaiter Lines { get; } = new();

        public static async Task<ChatClient> ConnectAsync(Instance instance, string name, CancellationToken cancellationToken)
        {
            var client = new TcpClient();
            var connection = await client.ConnectAsync((IPEndPoint)instance.Server.LocalEndPoint, cancellationToken);
            var chat = new ChatClient(name, instance, client, connection);
            await chat.Lines.WaitForLinesAsync(l => l == "JOINED", 1, cancellationToken);
            return chat;
        }

        public ValueTask SendAsync(string line, CancellationToken cancellationToken) =>
            _connection.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await _connection.DisposeAsync();
            await _reading;
            await _client.DisposeAsync();
        }

        private async Task ReadAsync()
        {
            var reader = new FrameReader(_connection.Input);
            var decoder = new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed);
            try
            {
                while (await reader.ReadAsync(decoder) is { HasFrame: true } line)
                {
                    Lines.Add(Encoding.UTF8.GetString(line.Frame));
                }
            }
            catch (Exception ex) when (ex is ConnectionAbortedException or ConnectionResetException)
            {
                // Closed by the test.
            }
            finally
            {
                Lines.End();
            }
        }
    }
}
