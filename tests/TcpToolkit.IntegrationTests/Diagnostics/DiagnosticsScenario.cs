using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.IntegrationTests.Tls;
using TcpToolkit.Proxy;
using TcpToolkit.Tls;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// Issue 14's scripted scenario on real loopback sockets, in steps: framed echo both ways, a close by each reason the
/// transport records, rejections (the connection limit, an untrusted PROXY peer), TLS handshakes (one that succeeds,
/// one the client refuses), an idle timeout and backpressure on both sides. Everything records on the scenario's own
/// <see cref="TestMeterFactory"/> and logs to its own <see cref="FakeLogCollector"/>, so tests in parallel do not see
/// each other's measurements.
/// </summary>
internal sealed partial class DiagnosticsScenario : IAsyncDisposable
{
    /// <summary>A 4-byte big-endian length field: what the echo frames and the oversize header use.</summary>
    public static readonly LengthFieldCodecOptions Codec = new() { LengthFieldSize = 4, MaxFrameLength = 1024 };

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly ILogger _handlerLogger;

    private DiagnosticsScenario()
    {
        Recorder = new MetricsRecorder(Factory);
        LoggerFactory = new LoggerFactory();
        LoggerFactory.AddProvider(new FakeLoggerProvider(Logs));
        _handlerLogger = LoggerFactory.CreateLogger("Scenario.Handler");
        Client = new TcpClient(new TcpClientOptions { MeterFactory = Factory, LoggerFactory = LoggerFactory, RecordFrameSizes = true });
    }

    public TestMeterFactory Factory { get; } = new();

    /// <summary>Gets the listener: created before any server or client, so it sees every connection open.</summary>
    public MetricsRecorder Recorder { get; }

    public FakeLogCollector Logs { get; } = new();

    public LoggerFactory LoggerFactory { get; }

    /// <summary>Gets the server of the echo and close steps (its handler runs the command in a connection's first byte).</summary>
    public TcpServer Server { get; private set; } = null!;

    public TcpClient Client { get; }

    /// <summary>Gets each of the command server's connections' close reason, by connection id, once it closed.</summary>
    public ConcurrentDictionary<string, CloseReason> ServerCloseReasons { get; } = new();

    /// <summary>Gets the ids of the command server's connections, by command.</summary>
    public ConcurrentDictionary<char, string> ServerConnectionIds { get; } = new();

    public int Port => ((IPEndPoint)Server.LocalEndPoint).Port;

    public static async Task<DiagnosticsScenario> StartAsync()
    {
        var scenario = new DiagnosticsScenario();
        scenario.Server = await TestServers.StartAsync(scenario.HandleAsync, scenario.Configure);
        return scenario;
    }

    /// <summary>The server options every server of the scenario shares: its meter factory and its log.</summary>
    public void Configure(TcpServerOptions options)
    {
        options.MeterFactory = Factory;
        options.LoggerFactory = LoggerFactory;
        options.RecordFrameSizes = true;
        options.WriteTimeout = null;
    }

    /// <summary>Sends <paramref name="count"/> frames of <paramref name="size"/> bytes and reads each echo back, then closes.</summary>
    public async Task EchoFramesAsync(int count, int size, CancellationToken ct)
    {
        var clean = CleanCloses;
        await using var connection = await Client.ConnectAsync(Server.LocalEndPoint, ct);
        await connection.SendAsync("e"u8.ToArray(), ct);
        var reader = new FrameReader(connection);
        var writer = new FrameWriter(connection);
        var decoder = new LengthFieldFrameDecoder(Codec);
        var encoder = new LengthFieldFrameEncoder(Codec);
        var payload = TestServers.RandomBytes(size, seed: count);
        for (var i = 0; i < count; i++)
        {
            await writer.WriteAsync(encoder, payload, ct);
            var echo = await reader.ReadAsync(decoder, ct);
            echo.HasFrame.Should().BeTrue();
            echo.Frame.Length.Should().Be(size);
        }

        await connection.Output.CompleteAsync();
        (await reader.ReadAsync(decoder, ct)).IsCompleted.Should().BeTrue("the server returns at the client's FIN");
        await WaitForServerClosesAsync(errorType: null, clean + 1, ct);
    }

    /// <summary>
    /// Closes one connection each way the transport can record: graceful by the server (<c>g</c>), graceful by the
    /// client (<c>e</c> with no frames), the client's reset (<c>r</c>), the handler's abort (<c>a</c>), a throwing
    /// handler (<c>f</c>), and a frame over the decoder's maximum (<c>p</c>). Returns when the server has recorded
    /// every one.
    /// </summary>
    public async Task CloseEachWayAsync(CancellationToken ct)
    {
        var clean = CleanCloses;
        await using (var graceful = await Client.ConnectAsync(Server.LocalEndPoint, ct))
        {
            await graceful.SendAsync("g"u8.ToArray(), ct);
            (await TestServers.ReadToEndAsync(graceful, ct)).Should().BeEmpty();
        }

        await using (var remoteClose = await Client.ConnectAsync(Server.LocalEndPoint, ct))
        {
            await remoteClose.SendAsync("e"u8.ToArray(), ct);
            await remoteClose.Output.CompleteAsync();
            (await TestServers.ReadToEndAsync(remoteClose, ct)).Should().BeEmpty();
        }

        await using (var reset = await Client.ConnectAsync(Server.LocalEndPoint, ct))
        {
            // Wait for the echo first, so the server has the connection (and its handler reads) when the reset comes.
            await reset.SendAsync("rx"u8.ToArray(), ct);
            (await ServerLifecycleTests.ReadExactlyAsync(reset, 1, ct)).Should().Equal("x"u8.ToArray());
            reset.Abort();
        }

        foreach (var command in "afp")
        {
            await using var connection = await Client.ConnectAsync(Server.LocalEndPoint, ct);
            byte[] request = command == 'p' ? [(byte)'p', 0, 0, 0x40, 0] : [(byte)command];
            await connection.SendAsync(request, ct);
            await ServerLifecycleTests.ReadToEndOrResetAsync(connection, ct);
        }

        await WaitForServerClosesAsync(errorType: null, clean + 2, ct);
        foreach (var command in "rafp")
        {
            await WaitForServerClosesAsync(ExpectedErrorType(command), 1, ct);
        }
    }

    /// <summary>Gets how many clean closes the server has recorded so far.</summary>
    public int CleanCloses => Recorder.Recorded(Names.ServerConnectionDuration).Count(m => m["error.type"] is null);

    /// <summary>Waits until the server has recorded <paramref name="count"/> closes with <paramref name="errorType"/>.</summary>
    public Task WaitForServerClosesAsync(string? errorType, int count, CancellationToken ct)
        => Recorder.WaitForAsync(Names.ServerConnectionDuration, m => Equals(m["error.type"], errorType), count).WaitAsync(ct);

    /// <summary>Refuses one connection at a full server (MaxConnections 1) and one from a peer that is not a trusted proxy.</summary>
    public async Task RejectAsync(CancellationToken ct)
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var full = await StartServerAsync(
            async (connection, stopping) =>
            {
                holding.TrySetResult();
                await release.Task.WaitAsync(stopping);
            },
            options => options.MaxConnections = 1);
        await using (var first = await Client.ConnectAsync(full.LocalEndPoint, ct))
        {
            await holding.Task.WaitAsync(ct);
            await ConnectAndSeeTheCloseAsync(full.LocalEndPoint, ct);
            await Recorder.WaitForAsync(Names.RejectedConnections, m => Equals(m["error.type"], "connection_limit")).WaitAsync(ct);
            release.TrySetResult();
        }

        var proxyOptions = new ProxyProtocolOptions { LoggerFactory = LoggerFactory };
        proxyOptions.TrustedProxies.Clear();
        var proxied = await StartServerAsync(
            (_, _) => throw new InvalidOperationException("an untrusted peer's connection must not reach the handler"),
            options => options.Middleware.UseProxyProtocol(proxyOptions));
        await ConnectAndSeeTheCloseAsync(proxied.LocalEndPoint, ct);
        await Recorder.WaitForAsync(Names.RejectedConnections, m => Equals(m["error.type"], "proxy_untrusted")).WaitAsync(ct);
    }

    /// <summary>
    /// One TLS handshake that succeeds (and echoes a byte through it), one the client refuses (it does not trust the
    /// server's certificate for the name it asks for: under TLS 1.3 the server has finished its part by then), and one
    /// the server refuses (the peer speaks plain text).
    /// </summary>
    public async Task TlsHandshakesAsync(CancellationToken ct)
    {
        var serverTls = TlsTesting.ServerOptions();
        serverTls.LoggerFactory = LoggerFactory;
        var server = await StartServerAsync(TestServers.EchoAsync, options => options.Middleware.UseTls(serverTls));
        var clientTls = TlsTesting.ClientOptions();
        clientTls.LoggerFactory = LoggerFactory;
        var clientOptions = new TcpClientOptions { MeterFactory = Factory, LoggerFactory = LoggerFactory };
        clientOptions.Middleware.UseTls(clientTls);
        await using (var client = new TcpClient(clientOptions))
        {
            await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
            (await TlsTesting.EchoAsync(connection, "t"u8.ToArray(), ct)).Should().Equal("t"u8.ToArray());
        }

        var wrongName = new TcpClientOptions { MeterFactory = Factory, LoggerFactory = LoggerFactory };
        var wrongTls = TlsTesting.ClientOptions("not-the-server.example");
        wrongTls.LoggerFactory = LoggerFactory;
        wrongName.Middleware.UseTls(wrongTls);
        await using (var client = new TcpClient(wrongName))
        {
            var connect = () => client.ConnectAsync(server.LocalEndPoint, ct);
            await connect.Should().ThrowAsync<TlsHandshakeException>();
        }

        await using (var plain = await Client.ConnectAsync(server.LocalEndPoint, ct))
        {
            await plain.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), ct);
            await ServerLifecycleTests.ReadToEndOrResetAsync(plain, ct);
        }

        await Recorder.WaitForAsync(Names.ServerTlsHandshakeDuration, m => m["error.type"] is not null).WaitAsync(ct);
        await Recorder.WaitForAsync(Names.ServerTlsHandshakeDuration, _ => true, count: 3).WaitAsync(ct);
    }

    /// <summary>A connection that stays silent past a 10 s idle timeout on a fake clock.</summary>
    public async Task IdleTimeoutAsync(CancellationToken ct)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await StartServerAsync(
            async (connection, stopping) =>
            {
                started.TrySetResult();
                await TestServers.EchoAsync(connection, stopping);
            },
            options =>
            {
                options.TimeProvider = time;
                options.IdleTimeout = TimeSpan.FromSeconds(10);
            });
        await using var connection = await Client.ConnectAsync(server.LocalEndPoint, ct);
        await started.Task.WaitAsync(ct);
        for (var i = 0; i < 12; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        await Recorder.WaitForAsync(Names.ServerConnectionDuration, m => Equals(m["error.type"], "idle_timeout")).WaitAsync(ct);
    }

    /// <summary>
    /// Connects to a server that refuses the connection at once and waits for its FIN or reset; a reset that comes
    /// before the engine has seen the connect complete fails the connect itself (<c>ConnectionReset</c>).
    /// </summary>
    private async Task ConnectAndSeeTheCloseAsync(EndPoint endPoint, CancellationToken ct)
    {
        var attempt = await Client.TryConnectAsync(endPoint, ct);
        if (attempt.Connection is { } connection)
        {
            await using (connection)
            {
                await ServerLifecycleTests.ReadToEndOrResetAsync(connection, ct);
            }
        }
        else
        {
            attempt.SocketError.Should().Be(System.Net.Sockets.SocketError.ConnectionReset);
        }
    }

    /// <summary>Starts another server of the scenario (stopped with it).</summary>
    public async Task<TcpServer> StartServerAsync(ConnectionHandler handler, Action<TcpServerOptions>? configure = null)
    {
        var server = await TestServers.StartAsync(handler, options =>
        {
            Configure(options);
            configure?.Invoke(options);
        });
        _owned.Add(server);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        Recorder.Dispose();
        Factory.Dispose();
        LoggerFactory.Dispose();
    }

    /// <summary>The <c>error.type</c> the server records for a command's connection (<see langword="null"/>: a clean close).</summary>
    public static string? ExpectedErrorType(char command) => command switch
    {
        'r' => "remote_reset",
        'a' => "local_abort",
        'f' => "handler_fault",
        'p' => "protocol_error",
        _ => null,
    };

    [LoggerMessage(9001, LogLevel.Information, "Handling command {Command}.")]
    private static partial void Handling(ILogger logger, char command);

    private async Task HandleAsync(Connection connection, CancellationToken stopping)
    {
        var first = await connection.Input.ReadAsync(stopping);
        var command = (char)first.Buffer.FirstSpan[0];
        connection.Input.AdvanceTo(first.Buffer.GetPosition(1));
        ServerConnectionIds[command] = connection.Id;
        connection.ConnectionClosed.Register(() => ServerCloseReasons[connection.Id] = connection.CloseReason);
        Handling(_handlerLogger, command);
        switch (command)
        {
            case 'g':
                return;
            case 'r':
                await TestServers.EchoAsync(connection, stopping);
                return;
            case 'a':
                connection.Abort();
                return;
            case 'f':
                throw new InvalidOperationException("the scenario's faulting handler");
            case 'p':
                await new FrameReader(connection, LoggerFactory.CreateLogger("Scenario.Framing")).ReadAsync(new LengthFieldFrameDecoder(Codec), stopping);
                throw new InvalidOperationException("a frame over the maximum must not decode");
            case 'e':
                await EchoFramesAsync(connection, stopping);
                return;
        }
    }

    private static async Task EchoFramesAsync(Connection connection, CancellationToken stopping)
    {
        var reader = new FrameReader(connection);
        var writer = new FrameWriter(connection);
        var decoder = new LengthFieldFrameDecoder(Codec);
        var encoder = new LengthFieldFrameEncoder(Codec);
        while (true)
        {
            var result = await reader.ReadAsync(decoder, stopping);
            if (!result.HasFrame)
            {
                return;
            }

            await writer.WriteAsync(encoder, result.Frame, stopping);
        }
    }
}
