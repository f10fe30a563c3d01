using System.Net;
using System.Net.Sockets;
using System.Text;
using TcpToolkit.Samples.AppClient;
using TcpToolkit.Samples.AppServer;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// The application samples (spec section 3): AppClient against AppServer, and AppServer against raw sockets that send
/// exactly the guide's bytes, fragments, pipelined requests and every error input of section 3.7.
/// </summary>
public sealed class GuideAppTests
{
    private const string ClientBinaryType = "binary/custom-client-binary-type";
    private const string ServerBinaryType = "binary/custom-server-binary-type";

    private static readonly Dictionary<string, (byte[] Bytes, bool HalfClose, string Message)> s_errorInputs = new()
    {
        ["connect then close"] = ([], true, "Peer closed."),
        ["half a request, then EOF"] = (SearchRequest("morpheus")[..50], true, "Peer closed. (50 bytes of an incomplete frame had arrived.)"),
        ["missing content-length"] = (RawFrame("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8"}""", []), false, "Missing required header 'content-length'."),
        ["missing byteorder"] = (RawFrame("""{"content-type": "text/json", "content-encoding": "utf-8", "content-length": 2}""", Utf8("{}")), false, "Missing required header 'byteorder'."),
        ["JSON header is invalid"] = (RawFrame("""{"byteorder" "little"}""", []), false, "The JSON header is not valid JSON:"),
        ["JSON header is empty"] = ([0, 0], false, "The JSON header is empty: the proto-header announces 0 bytes."),
        ["JSON header starts with a BOM"] = (RawFrame("\uFEFF" + Header("text/json", "utf-8", 2), Utf8("{}")), false, "The JSON header starts with a UTF-8 byte order mark."),
        ["content-length is a string"] = (RawFrame("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": "2"}""", Utf8("{}")), false, "Header 'content-length' must be a non-negative JSON integer, not a string."),
        ["content-length is negative"] = (RawFrame(Header("text/json", "utf-8", -1), []), false, "Header 'content-length' must be a non-negative JSON integer, not a negative number."),
        ["content-length above the maximum, content never sent"] = (RawFrame(Header(ClientBinaryType, "binary", 1_048_577), []), false, "Content length 1048577 exceeds the maximum content length 1048576."),
        ["content is invalid JSON"] = (Frame("text/json", "utf-8", Utf8("""{"action": """)), false, "The content is not valid JSON."),
        ["content is a list"] = (Frame("text/json", "utf-8", Utf8("[1]")), false, "The request is not a JSON object."),
        ["value is a lone surrogate"] = (Frame("text/json", "utf-8", Utf8("""{"action": "search", "value": "\ud800"}""")), false, "The request's action or value is an array, an object, or a string with a lone surrogate."),
    };

    public static TheoryData<string> ErrorInputs => new(s_errorInputs.Keys);

    [Theory]
    [InlineData("search", "morpheus", "{'result': 'Follow the white rabbit. \U0001F430'}", "Got result: Follow the white rabbit. \U0001F430")]
    [InlineData("search", "ring", "{'result': 'In the caves beneath the Misty Mountains. \U0001F48D'}", "Got result: In the caves beneath the Misty Mountains. \U0001F48D")]
    [InlineData("search", "\U0001F436", "{'result': '\U0001F43E Playing ball! \U0001F3D0'}", "Got result: \U0001F43E Playing ball! \U0001F3D0")]
    [InlineData("search", "foo", "{'result': \"No match for 'foo'.\"}", "Got result: No match for 'foo'.")]
    [InlineData("search", "Morpheus", "{'result': \"No match for 'Morpheus'.\"}", "Got result: No match for 'Morpheus'.")]
    [InlineData("binary", "\U0001F603", null, @"Got response: b'First 10 bytes of request: binary\xf0\x9f\x98\x83'")]
    [InlineData("double", "x", null, "Got response: b'First 10 bytes of request: doublex'")]
    public async Task AppClient_AgainstAppServer_PrintsTheGuideLines(string action, string value, string? response, string result)
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);
        var output = new SynchronizedStringWriter();

        (await AppClientApp.RunAsync(["127.0.0.1", server.PortText, action, value], output, ct)).Should().Be(0);

        var lines = GuideMultiConnTests.Lines(output);
        lines.Should().HaveCount(5, output.ToString());
        lines[0].Should().Be($"Starting connection to {server.Address}");
        lines[1].Should().StartWith("Sending b'\\x00").And.EndWith($"' to {server.Address}");
        lines[2].Should().Be(response is null ? $"Received {ServerBinaryType} response from {server.Address}" : $"Received response {response} from {server.Address}");
        lines[3].Should().Be(result);
        lines[4].Should().Be($"Closing connection to {server.Address}");

        // The server: accepted, received, sent, closed, in that order, then Ctrl+C.
        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 1, ct);
        (await server.StopAsync()).Should().Be(0);
        var serverLines = GuideMultiConnTests.Lines(server.Output);
        serverLines.Should().HaveCount(6, server.Output.ToString());
        serverLines[0].Should().Be($"Listening on {server.Address}");
        serverLines[1].Should().StartWith("Accepted connection from ('127.0.0.1', ");
        serverLines[2].Should().Be(action == "search"
            ? $"Received request {{'action': 'search', 'value': '{value}'}} from {serverLines[1]["Accepted connection from ".Length..]}"
            : $"Received {ClientBinaryType} request from {serverLines[1]["Accepted connection from ".Length..]}");
        serverLines[3].Should().StartWith("Sending b'\\x00");
        serverLines[4].Should().StartWith("Closing connection to ('127.0.0.1', ");
        serverLines[5].Should().Be("Caught keyboard interrupt, exiting");
    }

    [Theory]
    [InlineData("morpheus", 146, 148)]
    [InlineData("foo", 141, 138)]
    [InlineData("binary \U0001F603", 139, 166)]
    public async Task AppServer_GuideRequest_AnswersTheExactBytesOfSpec38AndCloses(string request, int requestLength, int responseLength)
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);
        var (bytes, expected) = request switch
        {
            "morpheus" => (SearchRequest("morpheus"), Result("Follow the white rabbit. \U0001F430")),
            "foo" => (SearchRequest("foo"), Result("No match for 'foo'.")),
            _ => (Frame(ClientBinaryType, "binary", Utf8("binary\U0001F603")), Frame(ServerBinaryType, "binary", [.. "First 10 bytes of request: "u8, .. Utf8("binary\U0001F603")])),
        };
        bytes.Should().HaveCount(requestLength);

        // Reading to EOF proves the server closes first, right after its answer.
        var (received, _) = await ExchangeAsync(server, (socket, token) => SendAsync(socket, bytes, token), ct);

        received.Should().HaveCount(responseLength).And.Equal(expected);
    }

    [Fact]
    public async Task AppServer_RequestInOneByteSends_AnswersIt()
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);
        var request = SearchRequest("morpheus");

        var (received, _) = await ExchangeAsync(
            server,
            async (socket, token) =>
            {
                for (var i = 0; i < request.Length; i++)
                {
                    await SendAsync(socket, request[i..(i + 1)], token);
                }
            },
            ct);

        received.Should().Equal(Result("Follow the white rabbit. \U0001F430"));
    }

    [Fact]
    public async Task AppServer_PipelinedSecondRequest_IsIgnored()
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);

        var (received, address) = await ExchangeAsync(server, (socket, token) => SendAsync(socket, [.. SearchRequest("morpheus"), .. SearchRequest("ring")], token), ct);

        received.Should().Equal(Result("Follow the white rabbit. \U0001F430"), "one request per connection: the second is never read");
        GuideMultiConnTests.Lines(server.Output).Where(l => l.StartsWith("Received request ", StringComparison.Ordinal)).Should()
            .Equal($"Received request {{'action': 'search', 'value': 'morpheus'}} from {address}");
    }

    [Fact]
    public async Task AppClient_FiftyAtOnce_EveryOneGetsItsResult()
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);
        (string Value, string Result)[] searches =
        [
            ("morpheus", "Got result: Follow the white rabbit. \U0001F430"),
            ("ring", "Got result: In the caves beneath the Misty Mountains. \U0001F48D"),
            ("\U0001F436", "Got result: \U0001F43E Playing ball! \U0001F3D0"),
            ("foo", "Got result: No match for 'foo'."),
        ];

        var runs = Enumerable.Range(0, 50).Select(async i =>
        {
            var (value, result) = searches[i % searches.Length];
            var output = new SynchronizedStringWriter();
            var exitCode = await AppClientApp.RunAsync(["127.0.0.1", server.PortText, "search", value], output, ct);
            return (exitCode, Lines: GuideMultiConnTests.Lines(output), Expected: result);
        });
        var results = await Task.WhenAll(runs);

        foreach (var (exitCode, lines, expected) in results)
        {
            exitCode.Should().Be(0);
            lines.Should().Contain(expected, string.Join(Environment.NewLine, lines));
        }

        await server.Output.Lines.WaitForLinesAsync(l => l.StartsWith("Closing connection to ", StringComparison.Ordinal), 50, ct);
        GuideMultiConnTests.Lines(server.Output).Should().NotContain(l => l.StartsWith("Main: Error", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ErrorInputs))]
    public async Task AppServer_ErrorInput_ClosesThatConnectionWithoutAnswerAndKeepsServing(string input)
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);
        var (bytes, halfClose, message) = s_errorInputs[input];

        var (received, address) = await ExchangeAsync(
            server,
            async (socket, token) =>
            {
                await SendAsync(socket, bytes, token);
                if (halfClose)
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
            },
            ct);

        received.Should().BeEmpty("the guide's server closes without an answer");
        var lines = GuideMultiConnTests.Lines(server.Output).Where(l => l.EndsWith(address, StringComparison.Ordinal) || l.Contains(address + ":", StringComparison.Ordinal)).ToArray();
        lines[0].Should().Be($"Accepted connection from {address}");
        lines[^2].Should().StartWith($"Main: Error: Exception for {address}: ").And.Contain(message);
        lines[^1].Should().Be($"Closing connection to {address}");
        lines.Should().NotContain(l => l.StartsWith("Sending ", StringComparison.Ordinal));

        var output = new SynchronizedStringWriter();
        (await AppClientApp.RunAsync(["127.0.0.1", server.PortText, "search", "morpheus"], output, ct)).Should().Be(0);
        output.ToString().Should().Contain("Got result: Follow the white rabbit. \U0001F430");
    }

    [Theory]
    [InlineData("empty binary body")]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"\"")]
    [InlineData("0")]
    [InlineData("false")]
    public async Task AppServer_FalsyContent_AnswersEmptyRequestInsteadOfHanging(string content)
    {
        var ct = TestServers.Timeout();
        await using var server = await SampleServer.StartAsync(AppServerApp.RunAsync);
        var request = content == "empty binary body" ? Frame(ClientBinaryType, "binary", []) : Frame("text/json", "utf-8", Utf8(content));

        var (received, _) = await ExchangeAsync(server, (socket, token) => SendAsync(socket, request, token), ct);

        received.Should().Equal(Result(AppServerApp.EmptyRequestResult));
    }

    [Theory]
    [InlineData]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1", "65432", "extra")]
    [InlineData("localhost", "65432")]
    public async Task AppServer_WrongArguments_PrintsUsageAndExits1(params string[] args)
    {
        var output = new SynchronizedStringWriter();

        (await AppServerApp.RunAsync(args, output, listening: null, TestServers.Timeout())).Should().Be(1);

        output.ToString().Should().Be(AppServerApp.Usage + Environment.NewLine);
    }

    [Theory]
    [InlineData("127.0.0.1", "65432", "search")]
    [InlineData("127.0.0.1", "port", "search", "morpheus")]
    [InlineData("127.0.0.1", "65432", "search", "morpheus", "extra")]
    public async Task AppClient_WrongArguments_PrintsUsageAndExits1(params string[] args)
    {
        var output = new SynchronizedStringWriter();

        (await AppClientApp.RunAsync(args, output, TestServers.Timeout())).Should().Be(1);

        output.ToString().Should().Be(AppClientApp.Usage + Environment.NewLine);
    }

    [Fact]
    public async Task AppClient_NobodyListens_PrintsTheErrorAndExits0LikeTheGuide()
    {
        using var bound = new Socket(SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)bound.LocalEndPoint!).Port;
        var output = new SynchronizedStringWriter();

        (await AppClientApp.RunAsync(["127.0.0.1", $"{port}", "search", "morpheus"], output, TestServers.Timeout())).Should().Be(0);

        GuideMultiConnTests.Lines(output).Should().Equal(
            $"Starting connection to ('127.0.0.1', {port})",
            $"Main: Error: Exception for ('127.0.0.1', {port}): ConnectionRefusedError: [Errno 111] Connection refused");
    }

    [Fact]
    public async Task AppClient_ServerClosesWithoutAnswer_PrintsPeerClosedAndExits0()
    {
        var ct = TestServers.Timeout();
        var request = SearchRequest("morpheus");
        await using var server = await TestServers.StartAsync(async (connection, token) =>
        {
            // Take the whole request, so closing sends FIN rather than RST, then close without an answer.
            while (true)
            {
                var result = await connection.Input.ReadAsync(token);
                var complete = result.Buffer.Length >= request.Length || result.IsCompleted;
                connection.Input.AdvanceTo(complete ? result.Buffer.End : result.Buffer.Start, result.Buffer.End);
                if (complete)
                {
                    return;
                }
            }
        });
        var port = ((IPEndPoint)server.LocalEndPoint).Port;
        var output = new SynchronizedStringWriter();

        (await AppClientApp.RunAsync(["127.0.0.1", $"{port}", "search", "morpheus"], output, ct)).Should().Be(0);

        GuideMultiConnTests.Lines(output)[^2..].Should().Equal(
            $"Main: Error: Exception for ('127.0.0.1', {port}): Peer closed.",
            $"Closing connection to ('127.0.0.1', {port})");
    }

    internal static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The guide's JSON header, written by hand here so the tests do not check the library with itself.</summary>
    internal static string Header(string contentType, string contentEncoding, int contentLength)
        => $$"""{"byteorder": "little", "content-type": "{{contentType}}", "content-encoding": "{{contentEncoding}}", "content-length": {{contentLength}}}""";

    internal static byte[] RawFrame(string header, byte[] content)
    {
        var headerBytes = Utf8(header);
        return [(byte)(headerBytes.Length >> 8), (byte)headerBytes.Length, .. headerBytes, .. content];
    }

    internal static byte[] Frame(string contentType, string contentEncoding, byte[] content) => RawFrame(Header(contentType, contentEncoding, content.Length), content);

    internal static byte[] SearchRequest(string value) => Frame("text/json", "utf-8", Utf8($$"""{"action": "search", "value": "{{value}}"}"""));

    internal static byte[] Result(string result) => Frame("text/json", "utf-8", Utf8($$"""{"result": "{{result}}"}"""));

    private static async Task SendAsync(Socket socket, byte[] bytes, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>Connects a raw socket, sends, then reads until the server closes. Returns what arrived and our address as the server prints it.</summary>
    private static async Task<(byte[] Received, string Address)> ExchangeAsync(SampleServer server, Func<Socket, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.EndPoint, cancellationToken);
        var address = $"('127.0.0.1', {((IPEndPoint)socket.LocalEndPoint!).Port})";
        await send(socket, cancellationToken);
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Closing with unread bytes in the receive queue sends RST (spec 3.5); it still ends the connection.
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        return (received.ToArray(), address);
    }
}
