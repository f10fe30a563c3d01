using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using TcpToolkit.Samples.MultiConnClient;
using TcpToolkit.Samples.MultiConnServer;

namespace TcpToolkit.IntegrationTests;

/// <summary>The multi-connection samples against each other (spec section 2 and the lines of section 4).</summary>
public sealed partial class GuideMultiConnTests
{
    internal const string Messages = "Message 1 from client.Message 2 from client.";

    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    public async Task MultiConnClient_AgainstMultiConnServer_EveryConnectionGets44BytesAndClosesFirst(int connections)
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(MultiConnServerApp.RunAsync);
        var output = new SynchronizedStringWriter();

        var exitCode = await MultiConnClientApp.RunAsync(["127.0.0.1", server.PortText, connections.ToString(CultureInfo.InvariantCulture)], output, ct);

        exitCode.Should().Be(0, output.ToString());
        CheckClientLines(Lines(output), connections, server.Address);

        // Our client closed first (FIN): every server handler sees EOF, not a reset, and closes.
        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), connections, ct);
        (await server.StopAsync()).Should().Be(0);
        var serverLines = Lines(server.Output);
        serverLines[0].Should().Be($"Listening on {server.Address}");
        serverLines[^1].Should().Be("Caught keyboard interrupt, exiting");
        serverLines.Should().NotContain(l => l.Contains("reset", StringComparison.OrdinalIgnoreCase));
        CheckServerLines(serverLines, connections);
    }

    [Fact]
    public async Task MultiConnServer_OneClientResets_OtherClientsAreStillServed()
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(MultiConnServerApp.RunAsync);
        using (var resetting = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await resetting.ConnectAsync(server.EndPoint, ct);
            await resetting.SendAsync("ping"u8.ToArray(), ct);
            (await resetting.ReceiveAsync(new byte[16], ct)).Should().Be(4);

            // Linger 0 turns the close into RST: the guide's own server dies of this (ConnectionResetError).
            resetting.LingerState = new LingerOption(enable: true, seconds: 0);
            resetting.Close();
        }

        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Connection reset by ", StringComparison.Ordinal), 1, ct);
        var output = new SynchronizedStringWriter();

        (await MultiConnClientApp.RunAsync(["127.0.0.1", server.PortText, "3"], output, ct)).Should().Be(0, output.ToString());

        CheckClientLines(Lines(output), 3, server.Address);
        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 4, ct);
        (await server.StopAsync()).Should().Be(0);
    }

    [Fact]
    public async Task MultiConnClient_NobodyListens_ReportsRefusedAndExits1()
    {
        var ct = TestServers.Timeout();
        using var bound = new Socket(SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)bound.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);
        var output = new SynchronizedStringWriter();

        (await MultiConnClientApp.RunAsync(["127.0.0.1", port, "1"], output, ct)).Should().Be(1, "the guide's client dies of ConnectionRefusedError");

        output.ToString().Should().Contain("Connection 1 failed: ConnectionRefusedError: [Errno 111] Connection refused");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1", "65432", "2", "extra")]
    [InlineData("127.0.0.1", "port", "2")]
    public async Task MultiConnClient_WrongArguments_PrintsUsageAndExits1(params string[] args)
    {
        var output = new SynchronizedStringWriter();

        (await MultiConnClientApp.RunAsync(args, output, TestServers.Timeout())).Should().Be(1);

        output.ToString().Should().Be(MultiConnClientApp.Usage + Environment.NewLine);
    }

    [Fact]
    public async Task MultiConnServer_WrongArguments_PrintsUsageAndExits1()
    {
        var output = new SynchronizedStringWriter();

        (await MultiConnServerApp.RunAsync(["127.0.0.1"], output, listening: null, TestServers.Timeout())).Should().Be(1);

        output.ToString().Should().Be(MultiConnServerApp.Usage + Environment.NewLine);
    }

    /// <summary>
    /// The client's lines per spec section 4: N "Starting" lines first, then per connection both "Sending" lines in
    /// order, "Received" lines adding up to the 44 bytes sent, and "Closing connection i" last.
    /// </summary>
    internal static void CheckClientLines(string[] lines, int connections, string serverAddress)
    {
        lines.Take(connections).Should().Equal(Enumerable.Range(1, connections).Select(i => $"Starting connection {i} to {serverAddress}"));
        for (var id = 1; id <= connections; id++)
        {
            var suffix = $" connection {id}";
            var mine = lines.Skip(connections).Where(l => l.EndsWith(suffix, StringComparison.Ordinal) || l == $"Closing connection {id}").ToArray();
            mine.Where(l => l.StartsWith("Sending ", StringComparison.Ordinal)).Should().Equal(
                $"Sending b'Message 1 from client.' to connection {id}",
                $"Sending b'Message 2 from client.' to connection {id}");
            var received = mine.Select(l => ReceivedLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value);
            string.Concat(received).Should().Be(Messages, "connection {0} gets its 44 bytes back", id);
            mine[^1].Should().Be($"Closing connection {id}");
        }

        // Nothing else: Starting, two Sending and Closing per connection, plus the Received lines.
        lines.Should().HaveCount((4 * connections) + lines.Count(l => l.StartsWith("Received ", StringComparison.Ordinal)));
    }

    /// <summary>The server's lines per spec section 4: per peer address "Accepted" first, "Echoing" the 44 bytes, "Closing" last.</summary>
    internal static void CheckServerLines(string[] lines, int connections)
    {
        var accepted = lines.Where(l => l.StartsWith("Accepted connection from ", StringComparison.Ordinal)).ToArray();
        accepted.Should().HaveCount(connections).And.OnlyHaveUniqueItems();
        foreach (var line in accepted)
        {
            var peer = line["Accepted connection from ".Length..];
            var mine = lines.Where(l => l.EndsWith(peer, StringComparison.Ordinal)).ToArray();
            mine[0].Should().Be(line);
            mine[^1].Should().Be($"Closing connection to {peer}");
            var echoed = mine.Select(l => EchoingLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value);
            string.Concat(echoed).Should().Be(Messages);
        }
    }

    internal static string[] Lines(SynchronizedStringWriter output) => Lines(output.ToString());

    internal static string[] Lines(string output) => output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"^Received b'([^'\\]*)' from connection \d+$")]
    private static partial Regex ReceivedLine();

    [GeneratedRegex(@"^Echoing b'([^'\\]*)' to \(")]
    private static partial Regex EchoingLine();
}
