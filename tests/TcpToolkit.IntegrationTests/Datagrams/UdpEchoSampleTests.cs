using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Samples.UdpEcho;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>The UdpEcho sample, server and client, run in-process on loopback port 0.</summary>
public sealed class UdpEchoSampleTests
{
    [Fact]
    public async Task Client_AgainstServer_PrintsTheEchoedMessage()
    {
        var ct = TestServers.Timeout();
        await using var server = await StartServerAsync("127.0.0.1", ct);
        var output = new SynchronizedStringWriter();

        var exitCode = await UdpEchoApp.RunAsync(["client", "--port", server.PortText, "hi", "there"], output, listening: null, ct);

        exitCode.Should().Be(0);
        output.ToString().Should().Be("Received hi there" + Environment.NewLine);
        await server.Output.Lines.WaitForLinesAsync(line => line.StartsWith("Echoing b'hi there' to ('127.0.0.1', ", StringComparison.Ordinal), 1, ct);
        (await server.StopAsync(ct)).Should().Be(0);
        server.Output.ToString().Should().StartWith($"Listening on ('127.0.0.1', {server.PortText}){Environment.NewLine}");
    }

    [Fact]
    public async Task Client_DefaultMessageOverIPv6_HelloWorld()
    {
        var ct = TestServers.Timeout();
        await using var server = await StartServerAsync("::1", ct);
        var output = new SynchronizedStringWriter();

        var exitCode = await UdpEchoApp.RunAsync(["client", "--host", "::1", "--port", server.PortText], output, listening: null, ct);

        exitCode.Should().Be(0);
        output.ToString().Should().Be("Received Hello, world" + Environment.NewLine);
        server.Output.ToString().Should().StartWith($"Listening on ('::1', {server.PortText}, 0, 0)");
    }

    [Fact]
    public async Task Client_NobodyListens_GivesUpAfterTheTimeoutWithExitCode1()
    {
        var ct = TestServers.Timeout();
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);
        closed.Close();
        var output = new SynchronizedStringWriter();

        var exitCode = await UdpEchoApp.RunAsync(["client", "--port", port, "--timeout-ms", "200"], output, listening: null, ct);

        exitCode.Should().Be(1);
        output.ToString().Should().StartWith($"No reply from ('127.0.0.1', {port}) within 0.2 s");
    }

    [Fact]
    public async Task Server_PortInUse_PrintsWhyAndExitsWith1()
    {
        var ct = TestServers.Timeout();
        await using var taken = DatagramTestHelpers.BindLoopback();
        var output = new SynchronizedStringWriter();

        var exitCode = await UdpEchoApp.RunAsync(["server", "--port", taken.LocalEndPoint.Port.ToString(CultureInfo.InvariantCulture)], output, listening: null, ct);

        exitCode.Should().Be(1);
        output.ToString().Should().Contain("already in use");
    }

    [Theory]
    [InlineData]
    [InlineData("serve")]
    [InlineData("server", "extra")]
    public async Task RunAsync_BadCommandLine_PrintsUsageAndExitsWith1(params string[] args)
    {
        var output = new SynchronizedStringWriter();

        var exitCode = await UdpEchoApp.RunAsync(args, output, listening: null, TestContext.Current.CancellationToken);

        exitCode.Should().Be(1);
        output.ToString().Should().StartWith("Usage: UdpEcho server");
    }

    [Fact]
    public async Task Server_TwoSenders_EachGetsItsOwnDatagramBack()
    {
        var ct = TestServers.Timeout();
        await using var server = await StartServerAsync("127.0.0.1", ct);
        await using var first = DatagramTestHelpers.BindLoopback();
        await using var second = DatagramTestHelpers.BindLoopback();
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);

        await first.SendToAsync("first"u8.ToArray(), target, ct);
        await second.SendToAsync("second"u8.ToArray(), target, ct);

        (await DatagramTestHelpers.ReceiveOneAsync(first, ct)).Payload.Should().Equal("first"u8.ToArray());
        (await DatagramTestHelpers.ReceiveOneAsync(second, ct)).Payload.Should().Equal("second"u8.ToArray());
    }

    private static async Task<RunningServer> StartServerAsync(string host, CancellationToken cancellationToken)
    {
        var output = new SynchronizedStringWriter();
        var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = UdpEchoApp.RunAsync(["server", "--host", host, "--port", "0"], output, e => listening.TrySetResult(e), stop.Token);

        // A run that ends before it listens (a bind error) fails the wait instead of hanging it.
        await Task.WhenAny(listening.Task, run).WaitAsync(cancellationToken);
        if (!listening.Task.IsCompleted)
        {
            stop.Dispose();
            throw new InvalidOperationException("The sample exited before it listened: " + output);
        }

        return new RunningServer(stop, run, output, ((IPEndPoint)await listening.Task).Port);
    }

    private sealed class RunningServer(CancellationTokenSource stop, Task<int> run, SynchronizedStringWriter output, int port) : IAsyncDisposable
    {
        public SynchronizedStringWriter Output { get; } = output;

        public int Port { get; } = port;

        public string PortText => Port.ToString(CultureInfo.InvariantCulture);

        /// <summary>Ctrl+C: stops the sample and returns its exit code.</summary>
        public async Task<int> StopAsync(CancellationToken cancellationToken)
        {
            await stop.CancelAsync();
            return await run.WaitAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            if (!run.IsCompleted)
            {
                await StopAsync(TestServers.Timeout());
            }

            stop.Dispose();
        }
    }
}
