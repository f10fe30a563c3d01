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
            new IPEndPoint(IPAddress.Loopback, 0), codec, tls: null, listenIn, listenOut, TextWriter.Null, bound.SetResult, cancellationToken);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var connecting = StdioCommands.ConnectAsync(
            "127.0.0.1", endPoint.Port, codec, tls: null, connectIn, connectOut, TextWriter.Null, cancellationToken);

        (await connecting.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);
        (await listening.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);
        Encoding.UTF8.GetString(listenOut.ToArray()).Should().Be("from the connector\nsecond line\n");
        Encoding.UTF8.GetString(connectOut.ToArray()).Should().Be("from the listener\n");
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("length32")]
    public async Task ListenAndConnect_OverTls_StdinLinesArriveOnTheOtherSidesStdout(string framing)
    {
        var codec = Codecs.Parse(framing);
        var cancellationToken = TestContext.Current.CancellationToken;
        using var listenIn = new MemoryStream(Encoding.UTF8.GetBytes("secret from the listener\n"));
        using var listenOut = new MemoryStream();
        using var connectIn = new MemoryStream(Encoding.UTF8.GetBytes("secret from the connector\n"));
        using var connectOut = new MemoryStream();
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);

        var listening = StdioCommands.ListenAsync(
            new IPEndPoint(IPAddress.Loopback, 0), codec, new TlsSettings(), listenIn, listenOut, TextWriter.Null, bound.SetResult, cancellationToken);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
        var connecting = StdioCommands.ConnectAsync(
            "localhost", endPoint.Port, codec, new TlsSettings(Insecure: true), connectIn, connectOut, TextWriter.Null, cancellationToken);

        (await connecting.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);
        (await listening.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().Be(0);
        Encoding.UTF8.GetString(listenOut.ToArray()).Should().Be("secret from the connector\n");
        Encoding.UTF8.GetString(connectOut.ToArray()).Should().Be("secret from the listener\n");
    }

    [Fact]
    public async Task Connect_TlsToAThrowawayCertificateWithoutInsecure_FailsValidation()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var log = new StringWriter();
        var bound = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = StdioCommands.ListenAsync(
            new IPEndPoint(IPAddress.Loopback, 0), Codec.Raw, new TlsSettings(), Stream.Null, Stream.Null, TextWriter.Null, bound.SetResult, cancellationToken);
        var endPoint = (IPEndPoint)await bound.Task.WaitAsync(TestTimeouts.Default, cancellationToken);

        var exitCode = await StdioCommands.ConnectAsync("localhost", endPoint.Port, Codec.Raw, new TlsSettings(), Stream.Null, Stream.Null, log, cancellationToken)
            .WaitAsync(TestTimeouts.Default, cancellationToken);

        exitCode.Should().Be(1);
        log.ToString().Should().Contain("tcptk connect:");

        // With TLS 1.3 the server's handshake can finish before the client rejects the certificate, so the listener
        // may see a failed handshake (1) or an empty session (0); either way it ends.
        (await listening.WaitAsync(TestTimeouts.Default, cancellationToken)).Should().BeOneOf(0, 1);
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

        var exitCode = await StdioCommands.ConnectAsync("127.0.0.1", port, Codec.Raw, tls: null, Stream.Null, Stream.Null, log, TestContext.Current.CancellationToken)
            .WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);

        exitCode.Should().Be(1);
        log.ToString().Should().Contain("tcptk connect:");
    }
}
