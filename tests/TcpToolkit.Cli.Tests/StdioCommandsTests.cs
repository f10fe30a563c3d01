using System.Net;
using System.Text;

namespace TcpToolkit.Cli.Tests;

public sealed class StdioCommandsTests
{
    [Theory]
    [InlineData("raw")]
    [InlineData("length16")]
    [InlineData("length32")]
    [InlineData("line")]
    public async Task ListenAndConnect_StdinLines_ArriveOnTheOtherSidesStdout(string framing)
    {
        var codec = Codecs.Parse(framing);
        var cancellationToken = TestContext.Current.CancellationToken;
        using var listenIn = new MemoryStream(Encoding.UTF8.GetBytes("from the listener\n"));
        using var listenOut = new MemoryStream();
        using var connectIn = new MemoryStream(Encoding.UTF8.GetBytes("from the connector\nsecond line\n"));
        using var connectOut = new MemoryStream();
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);

        var listening = StdioCommands.ListenAsync(
            new IPEndPoint(IPAddress.Loopback, 0), codec, listenIn, listenOut, TextWriter.Null, bound.SetResult, cancellationToken);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var connecting = StdioCommands.ConnectAsync(
            "127.0.0.1", endPoint.Port, codec, connectIn, connectOut, TextWriter.Null, cancellationToken);

        (await connecting.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);
        (await listening.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);
        Encoding.UTF8.GetString(listenOut.ToArray()).Should().Be("from the connector\nsecond line\n");
        Encoding.UTF8.GetString(connectOut.ToArray()).Should().Be("from the listener\n");
    }

    [Fact]
    public async Task Connect_NoListener_ReturnsOneAndSaysWhy()
    {
        var log = new StringWriter();
        int port;
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            // A port that was free a moment ago and has no listener now.
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var exitCode = await StdioCommands.ConnectAsync("127.0.0.1", port, Codec.Raw, Stream.Null, Stream.Null, log, TestContext.Current.CancellationToken)
            .WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);

        exitCode.Should().Be(1);
        log.ToString().Should().Contain("tcptk connect:");
    }
}
