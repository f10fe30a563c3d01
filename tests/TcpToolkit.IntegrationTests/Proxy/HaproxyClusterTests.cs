using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TcpToolkit.Messaging;
using TcpToolkit.Proxy;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Proxy;

/// <summary>
/// Issue #12: TcpToolkit servers behind the real HAProxy (TCP mode, <c>send-proxy-v2</c>, health checks sending the
/// header as LOCAL). Without HAProxy the tests fail with a message saying how to install it; they never pass silently.
/// </summary>
[Collection(HaproxyTests.Name)]
public sealed class HaproxyClusterTests
{
    private const int ServerCount = 3;
    private const int ClientCount = 300;

    [Fact]
    public async Task ThreeServersBehindHaproxy_300Clients_SpreadOverAllAndEachServerSeesTheClientsRealAddress()
    {
        var ct = TestServers.Timeout();
        var served = new ConcurrentDictionary<int, int>();
        var servers = new List<TcpServer>();
        try
        {
            for (var index = 0; index < ServerCount; index++)
            {
                servers.Add(await StartServerAsync(index));
            }

            await using var haproxy = await HaproxyProcess.StartAsync([.. servers.Select(s => (IPEndPoint)s.LocalEndPoint)], ct);

            // Each client connects from its own loopback address (127.0.0.2 ... 127.0.0.101), so "the client's real
            // address" differs from HAProxy's 127.0.0.1 and from every other client's.
            var mismatches = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, ClientCount), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, token) =>
            {
                var source = new IPAddress([127, 0, 0, (byte)(2 + (i % 100))]);
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(haproxy.Frontend, token);
                var greeting = await ReadLineAsync(socket, token);
                // Counted from the client's side (the greeting names the server), so HAProxy's own readiness probe
                // and health checks never count as clients.
                var space = greeting.IndexOf(' ', StringComparison.Ordinal);
                served.AddOrUpdate(int.Parse(greeting[..space], System.Globalization.CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
                var seen = greeting[(space + 1)..];
                if (seen != socket.LocalEndPoint!.ToString())
                {
                    mismatches.Enqueue($"client {socket.LocalEndPoint} was seen as {seen}");
                }

                // The rest of the connection goes through untouched: an echo.
                var payload = Encoding.ASCII.GetBytes($"client {i}\n");
                await socket.SendAsync(payload, SocketFlags.None, token);
                (await ReadLineAsync(socket, token)).Should().Be($"client {i}");
            });

            mismatches.Should().BeEmpty("every server sees the client's own address and port, from the PROXY v2 header");
            served.Values.Sum().Should().Be(ClientCount);
            served.Keys.Should().BeEquivalentTo(Enumerable.Range(0, ServerCount), "HAProxy spreads the clients over all three servers");
            ProcessFigures.Report($"haproxy: {ClientCount} clients over {ServerCount} servers: {string.Join(", ", served.OrderBy(p => p.Key).Select(p => $"server {p.Key} {p.Value}"))}");
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ServerKilledBehindHaproxy_MessageClientReconnectsThroughIt_NoAcknowledgedRequestLost()
    {
        var ct = TestServers.Timeout();
        var executed = new ConcurrentDictionary<string, int>[ServerCount];
        var servers = new TcpServer[ServerCount];
        for (var index = 0; index < ServerCount; index++)
        {
            var mine = executed[index] = new ConcurrentDictionary<string, int>();
            var messages = new MessageServer((request, _) =>
            {
                mine.AddOrUpdate(Encoding.ASCII.GetString(request.Payload.Span), 1, (_, n) => n + 1);
                request.Reply.Write(request.Payload.Span);
                return ValueTask.CompletedTask;
            });
            servers[index] = await TestServers.StartAsync(
                (connection, stopping) => connection.GetFeature<ProxyProtocolHeader>() is { IsLocal: true }
                    ? Task.CompletedTask
                    : messages.HandleConnectionAsync(connection, stopping),
                options => options.Middleware.UseProxyProtocol(new ProxyProtocolOptions()));
        }

        try
        {
            await using var haproxy = await HaproxyProcess.StartAsync([.. servers.Select(s => (IPEndPoint)s.LocalEndPoint)], ct);
            await using var client = new MessageClient(haproxy.Frontend, new MessageClientOptions
            {
                ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            });
            await client.StartAsync(ct);

            var acknowledged = new List<string>();
            var killed = -1;
            var retries = 0;
            for (var i = 0; i < 300; i++)
            {
                var id = "request " + i;
                while (true)
                {
                    try
                    {
                        using var reply = await client.SendRequestAsync("record", Encoding.ASCII.GetBytes(id), ct);
                        Encoding.ASCII.GetString(reply.Payload.Span).Should().Be(id);
                        acknowledged.Add(id);
                        break;
                    }
                    catch (Exception ex) when (ex is RequestNotExecutedException or ConnectionLostException)
                    {
                        // Not acknowledged: the client retries it (a lost connection may have run it; the server
                        // records each run, so a duplicate is visible and allowed, a loss is not).
                        retries++;
                    }
                }

                if (i == 100)
                {
                    // Kill the server that serves this client: abort its connections at once, stop listening.
                    killed = Array.FindIndex(executed, e => e.ContainsKey(id));
                    await servers[killed].StopAsync(new CancellationToken(canceled: true));
                    await servers[killed].DisposeAsync();
                    await haproxy.WaitForServerDownAsync("s" + (killed + 1), ct);
                }
            }

            var ran = executed.SelectMany(e => e.Keys).ToHashSet();
            acknowledged.Where(id => !ran.Contains(id)).Should().BeEmpty("every acknowledged request ran on some server");
            acknowledged.Should().HaveCount(300);
            client.ReconnectCount.Should().BeGreaterThanOrEqualTo(1, "the client lost its server and reconnected through HAProxy");
            executed.Where((_, index) => index != killed).Sum(e => e.Count).Should().BeGreaterThan(0, "the other servers took over");
            ProcessFigures.Report($"haproxy failover: killed server {killed} after 101 requests; 300 acknowledged, {retries} retried, {client.ReconnectCount} reconnects; runs per server: {string.Join(", ", executed.Select(e => e.Values.Sum()))}");
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ClusterSample_HaproxyConfiguration_IsValid()
    {
        var haproxy = HaproxyProcess.RequireHaproxy();
        var config = Path.Combine(Repository.Root, "samples", "ClusterBehindHaproxy", "haproxy.cfg");
        var info = new ProcessStartInfo(haproxy) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add(config);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestServers.Timeout());
        var errors = await process.StandardError.ReadToEndAsync(TestServers.Timeout());
        await process.WaitForExitAsync(TestServers.Timeout());

        process.ExitCode.Should().Be(0, "haproxy -c accepts the sample's configuration: " + output + errors);
    }

    private static async Task<TcpServer> StartServerAsync(int index)
    {
        return await TestServers.StartAsync(
            async (connection, stopping) =>
            {
                if (connection.GetFeature<ProxyProtocolHeader>() is { IsLocal: true })
                {
                    // HAProxy's health check: a LOCAL header, then the proxy closes.
                    return;
                }

                await connection.SendAsync(Encoding.ASCII.GetBytes($"{index} {connection.RemoteEndPoint}\n"), stopping);
                await TestServers.EchoAsync(connection, stopping);
            },
            options => options.Middleware.UseProxyProtocol(new ProxyProtocolOptions()));
    }

    private static async Task<string> ReadLineAsync(Socket socket, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            var read = await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new InvalidOperationException("The connection ended before a line: " + Encoding.ASCII.GetString([.. line]));
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.ASCII.GetString([.. line]);
            }

            line.Add(one[0]);
        }
    }
}

/// <summary>HAProxy tests run one at a time: each starts its own HAProxy and servers.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HaproxyTests
{
    public const string Name = "HAProxy";
}
