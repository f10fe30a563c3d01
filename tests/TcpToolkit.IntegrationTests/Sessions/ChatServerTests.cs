using System.Net;
using System.Text;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Samples.ChatServer;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Sessions;

/// <summary>
/// The ChatServer sample (issue #16) over real sockets: its exact line protocol, its errors that keep the connection
/// open, its status lines, and two instances sharing rooms through a real redis-server.
/// </summary>
public sealed class ChatServerTests
{
    [Fact]
    public async Task Commands_OneInstance_RoomLinesReachEveryMemberAndErrorsKeepTheConnectionOpen()
    {
        var ct = TestServers.Timeout();
        await using var server = await ChatProcess.StartAsync([], ct);
        await using var ann = await ChatClient.ConnectAsync(server, ct);
        await using var bob = await ChatClient.ConnectAsync(server, ct);
        await using var cy = await ChatClient.ConnectAsync(server, ct);

        await ann.SendAsync("NICK ann\nJOIN lobby\nSAY lobby hi\n", ct);
        await ann.ExpectAsync(ct, "lobby ann: hi");
        await bob.SendAsync("NICK bob\r\nJOIN lobby\r\nSAY lobby hello there, ann\r\n", ct);
        await bob.ExpectAsync(ct, "lobby bob: hello there, ann");
        await ann.ExpectAsync(ct, "lobby bob: hello there, ann");

        // Every malformed or unknown command gets ERR, and the connection goes on.
        await ann.SendAsync("HELLO\nNICK\nNICK two words\nJOIN\nSAY lobby\nSAY nowhere hi\nLEAVE nowhere\n\n", ct);
        await ann.ExpectAsync(
            ct,
            "ERR unknown command HELLO (NICK, JOIN, LEAVE, SAY)",
            "ERR usage: NICK <name> (one word, at most 32 characters)",
            "ERR usage: NICK <name> (one word, at most 32 characters)",
            "ERR usage: JOIN <room> (one word, at most 64 characters)",
            "ERR usage: SAY <room> <text>",
            "ERR not in room nowhere: send JOIN nowhere first",
            "ERR not in room nowhere",
            "ERR empty command");
        await cy.SendAsync("JOIN lobby\nSAY lobby anyone?\n" + new string('x', ChatServerApp.MaxLineLength + 10) + "\nNICK cy\nSAY lobby now with a name\n", ct);
        await cy.ExpectAsync(ct, "ERR no nickname yet: send NICK <name> first", "ERR line too long (at most 4096 bytes)", "lobby cy: now with a name");
        await ann.SendAsync("SAY lobby still here\n", ct);
        await ann.ExpectAsync(ct, "lobby cy: now with a name", "lobby ann: still here");
        await bob.ExpectAsync(ct, "lobby cy: now with a name", "lobby ann: still here");

        // After LEAVE, bob hears nothing more from the lobby: his next line is his own in another room.
        await bob.SendAsync("LEAVE lobby\nJOIN den\nSAY den moved\n", ct);
        await bob.ExpectAsync(ct, "den bob: moved");
        await ann.SendAsync("SAY lobby bob has gone\n", ct);
        await ann.ExpectAsync(ct, "lobby ann: bob has gone");
        await bob.SendAsync("SAY den quiet here\n", ct);
        await bob.ExpectAsync(ct, "den bob: quiet here");

        server.Output.ToString().Should().Contain($"Listening on ('127.0.0.1', {server.EndPoint.Port})");
        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Connected by ('127.0.0.1', ", StringComparison.Ordinal), 3, ct);
    }

    [Fact]
    public async Task TwoInstancesOneRedis_Say_EveryMemberOnBothInstancesGetsItOnce()
    {
        // Three bounds: this test starts a redis-server and two servers that each connect to it.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TestTimeouts.Default * 3);
        var ct = deadline.Token;
        await using var redis = await RedisProcess.StartAsync(ct);
        await using var first = await ChatProcess.StartAsync(["--redis", redis.Configuration], ct);
        await using var second = await ChatProcess.StartAsync(["--redis", redis.Configuration], ct);
        await using var ann = await ChatClient.ConnectAsync(first, ct);
        await using var bob = await ChatClient.ConnectAsync(second, ct);

        // Each joins and hears itself (its own instance); bob then hears ann's second line through Redis. A "joined" line
        // from the other instance may or may not arrive, depending on whether it crossed Redis before or after the join.
        await ann.SendAsync("NICK ann\nJOIN lobby\nSAY lobby joined\n", ct);
        await ann.ExpectAsync(ct, "lobby ann: joined");
        await bob.SendAsync("NICK bob\nJOIN lobby\nSAY lobby joined\n", ct);
        await bob.ExpectIgnoringJoinsAsync(ct, "lobby bob: joined");

        await ann.SendAsync("SAY lobby from the first instance\n", ct);
        await bob.SendAsync("SAY lobby from the second instance\n", ct);

        await ann.ExpectIgnoringJoinsAsync(ct, "lobby ann: from the first instance", "lobby bob: from the second instance");
        await bob.ExpectIgnoringJoinsAsync(ct, "lobby ann: from the first instance", "lobby bob: from the second instance");
        first.Output.ToString().Should().Contain($"Sharing rooms through Redis at {redis.Configuration}");
    }

    /// <summary>The sample running in-process on 127.0.0.1, port 0; disposing it is its Ctrl+C.</summary>
    private sealed class ChatProcess : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<int> _run;

        private ChatProcess(CancellationTokenSource stop, Task<int> run, SynchronizedStringWriter output, IPEndPoint endPoint)
        {
            _stop = stop;
            _run = run;
            Output = output;
            EndPoint = endPoint;
        }

        public SynchronizedStringWriter Output { get; }

        public IPEndPoint EndPoint { get; }

        public static async Task<ChatProcess> StartAsync(string[] extra, CancellationToken cancellationToken)
        {
            var output = new SynchronizedStringWriter();
            var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
            var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var run = ChatServerApp.RunAsync(["--host", "127.0.0.1", "--port", "0", .. extra], output, e => listening.TrySetResult(e), stop.Token);
            await Task.WhenAny(listening.Task, run).WaitAsync(cancellationToken);
            if (!listening.Task.IsCompleted)
            {
                stop.Dispose();
                throw new InvalidOperationException("ChatServer exited before it listened: " + output);
            }

            return new ChatProcess(stop, run, output, (IPEndPoint)await listening.Task);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            (await _run.WaitAsync(TestServers.Timeout())).Should().Be(0);
            _stop.Dispose();
        }
    }

    /// <summary>A chat client: sends raw text, and checks the lines that come back, in order.</summary>
    private sealed class ChatClient : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private readonly Connection _connection;
        private readonly FrameReader _reader;
        private readonly DelimiterFrameDecoder _decoder = new(DelimiterCodecOptions.LineFeed);

        private ChatClient(TcpClient client, Connection connection)
        {
            _client = client;
            _connection = connection;
            _reader = new FrameReader(connection.Input);
        }

        public static async Task<ChatClient> ConnectAsync(ChatProcess server, CancellationToken cancellationToken)
        {
            var client = new TcpClient();
            return new ChatClient(client, await client.ConnectAsync(server.EndPoint, cancellationToken));
        }

        public ValueTask SendAsync(string text, CancellationToken cancellationToken) =>
            _connection.SendAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

        /// <summary>Reads the next lines and checks they are <paramref name="expected"/>, in order.</summary>
        public async Task ExpectAsync(CancellationToken cancellationToken, params string[] expected)
            => (await ReadAsync(expected.Length, cancellationToken)).Should().Equal(expected);

        /// <summary>
        /// Reads lines until every one of <paramref name="expected"/> came (in any order), each once; the only other
        /// lines allowed are "joined" announcements.
        /// </summary>
        public async Task ExpectIgnoringJoinsAsync(CancellationToken cancellationToken, params string[] expected)
        {
            var seen = new List<string>();
            while (!expected.All(seen.Contains))
            {
                var line = (await ReadAsync(1, cancellationToken))[0];
                if (!line.EndsWith(": joined", StringComparison.Ordinal) || expected.Contains(line))
                {
                    seen.Add(line);
                }
            }

            seen.Should().BeEquivalentTo(expected, "each expected line arrives once and nothing else does");
        }

        public async ValueTask DisposeAsync()
        {
            await _connection.DisposeAsync();
            await _client.DisposeAsync();
        }

        private async Task<List<string>> ReadAsync(int count, CancellationToken cancellationToken)
        {
            var lines = new List<string>();
            while (lines.Count < count)
            {
                FrameReadResult<System.Buffers.ReadOnlySequence<byte>> result;
                try
                {
                    result = await _reader.ReadAsync(_decoder, cancellationToken);
                }
                catch (OperationCanceledException ex)
                {
                    throw new TimeoutException($"Only {lines.Count} of {count} lines came in time: " + string.Join(" | ", lines), ex);
                }

                if (!result.HasFrame)
                {
                    throw new InvalidOperationException("The server closed the connection after: " + string.Join(" | ", lines));
                }

                lines.Add(Encoding.UTF8.GetString(result.Frame));
            }

            return lines;
        }
    }
}
