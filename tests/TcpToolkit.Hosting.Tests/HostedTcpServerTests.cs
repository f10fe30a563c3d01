using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.Hosting.Tests;

/// <summary>A hosted server starts and stops with the host, with its settings from configuration and its parts from DI.</summary>
public sealed class HostedTcpServerTests
{
    [Fact]
    public async Task StartAsync_EndPointFromConfiguration_ListensOnItsPortUntilTheHostStops()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.BuildEcho();
        var server = host.TcpServer();
        server.IsListening.Should().BeFalse();
        server.LocalEndPoints.Should().BeEmpty();

        await host.StartAsync(ct);

        server.IsListening.Should().BeTrue();
        var endPoint = server.LocalEndPoints.Should().ContainSingle().Which.Should().BeOfType<IPEndPoint>().Subject;
        endPoint.Address.Should().Be(IPAddress.Loopback);
        endPoint.Port.Should().NotBe(0, "port 0 asks the OS for a free port, and LocalEndPoints has the one it chose");
        using (var socket = await TestHosts.ConnectAsync(endPoint, ct))
        {
            (await TestHosts.RoundTripAsync(socket, "hello", ct)).Should().Be("hello");
        }

        await host.StopAsync(ct);

        server.IsListening.Should().BeFalse();
        server.StopResult.Should().NotBeNull();
        var connect = async () => (await TestHosts.ConnectAsync(endPoint, ct)).Dispose();
        (await connect.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    [Fact]
    public async Task StartAsync_LimitsAndTimeoutsFromConfiguration_AreTheServersOptions()
    {
        var ct = TestTimeouts.Token();
        TcpServerOptions? options = null;
        using var host = TestHosts.Build(
            new Dictionary<string, string?>
            {
                ["TcpServer:EndPoints:0"] = "127.0.0.1:0",
                ["TcpServer:EndPoints:1"] = "[::1]:0",
                ["TcpServer:MaxConnections"] = "2",
                ["TcpServer:Backlog"] = "64",
                ["TcpServer:MaxReadBufferSize"] = "65536",
                ["TcpServer:MaxWriteBufferSize"] = "",
                ["TcpServer:NoDelay"] = "false",
                ["TcpServer:CloseTimeout"] = "00:00:02",
                ["TcpServer:ShutdownTimeout"] = "00:00:03",
                ["TcpServer:IdleTimeout"] = "00:05:00",
                ["TcpServer:FirstByteTimeout"] = "00:00:07",
                ["TcpServer:WriteTimeout"] = "",
                ["TcpServer:MinReceiveDataRate"] = "100",
                ["TcpServer:MinReceiveDataRateGracePeriod"] = "00:00:09",
            },
            server => server.UseHandler(TestHosts.EchoAsync).ConfigureServer((_, o) => options = o));

        await host.StartAsync(ct);

        options.Should().NotBeNull();
        options!.EndPoints.Should().Equal(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 0));
        options.MaxConnections.Should().Be(2);
        options.Backlog.Should().Be(64);
        options.MaxReadBufferSize.Should().Be(65536);
        options.MaxWriteBufferSize.Should().BeNull("an empty value (JSON null) is null: unlimited");
        options.NoDelay.Should().BeFalse();
        options.CloseTimeout.Should().Be(TimeSpan.FromSeconds(2));
        options.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(3));
        options.IdleTimeout.Should().Be(TimeSpan.FromMinutes(5));
        options.FirstByteTimeout.Should().Be(TimeSpan.FromSeconds(7));
        options.WriteTimeout.Should().BeNull();
        options.MinReceiveDataRate!.BytesPerSecond.Should().Be(100);
        options.MinReceiveDataRate.GracePeriod.Should().Be(TimeSpan.FromSeconds(9));
        host.TcpServer().LocalEndPoints.Should().HaveCount(2);
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task StartAsync_NothingConfiguredButTheEndPoint_KeepsTheServersDefaults()
    {
        var ct = TestTimeouts.Token();
        TcpServerOptions? options = null;
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" },
            server => server.UseHandler(TestHosts.EchoAsync).ConfigureServer((_, o) => options = o));

        await host.StartAsync(ct);

        var defaults = new TcpServerOptions();
        options!.MaxConnections.Should().Be(defaults.MaxConnections);
        options.Backlog.Should().Be(defaults.Backlog);
        options.MaxReadBufferSize.Should().Be(defaults.MaxReadBufferSize);
        options.MaxWriteBufferSize.Should().Be(defaults.MaxWriteBufferSize);
        options.WriteTimeout.Should().Be(defaults.WriteTimeout);
        options.MinReceiveDataRate!.BytesPerSecond.Should().Be(defaults.MinReceiveDataRate!.BytesPerSecond);
        options.ShutdownTimeout.Should().Be(Timeout.InfiniteTimeSpan, "unset, the host's shutdown token ends the drain");
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task StartAsync_JsonNulls_TurnLimitsAndTimeoutsOff()
    {
        var ct = TestTimeouts.Token();
        TcpServerOptions? options = null;
        var json = """
            { "TcpServer": { "EndPoints": [ "127.0.0.1:0" ], "MaxReadBufferSize": null, "WriteTimeout": null, "MinReceiveDataRate": null } }
            """;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Services.AddTcpServer().UseHandler(TestHosts.EchoAsync).ConfigureServer((_, o) => options = o);
        using var host = builder.Build();

        await host.StartAsync(ct);

        options!.MaxReadBufferSize.Should().BeNull();
        options.WriteTimeout.Should().BeNull();
        options.MinReceiveDataRate.Should().BeNull();
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task MaxConnectionsFromConfiguration_OneConnectionTooMany_IsRefusedAndCounted()
    {
        var ct = TestTimeouts.Token();
        var entered = 0;
        var twoIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0", ["TcpServer:MaxConnections"] = "2" },
            server => server.UseHandler(async (connection, stopping) =>
            {
                if (Interlocked.Increment(ref entered) == 2)
                {
                    twoIn.TrySetResult();
                }

                await release.Task.WaitAsync(stopping);
            }));
        await host.StartAsync(ct);
        var endPoint = host.TcpServer().LocalEndPoints[0];

        using var first = await TestHosts.ConnectAsync(endPoint, ct);
        using var second = await TestHosts.ConnectAsync(endPoint, ct);
        await twoIn.Task.WaitAsync(ct);
        using var third = await TestHosts.ConnectAsync(endPoint, ct);
        var received = await TestHosts.ReadToEndOrResetAsync(third, ct);

        received.Should().BeEmpty("the third connection is closed at once");
        host.TcpServer().Server!.RejectedConnectionCount.Should().Be(1);
        host.TcpServer().Server!.ConnectionCount.Should().Be(2);
        release.SetResult();
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task AddTcpServer_TwoNamedServers_EachListensWithItsOwnSectionAndHandler()
    {
        var ct = TestTimeouts.Token();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Public:EndPoints:0"] = "127.0.0.1:0",
            ["Servers:Admin:EndPoints:0"] = "127.0.0.1:0",
        });
        builder.Services.AddTcpServer("Public").UseHandler(ReplyAsync("public"));
        builder.Services.AddTcpServer("Admin").BindConfiguration("Servers:Admin").UseHandler(ReplyAsync("admin"));
        using var host = builder.Build();

        await host.StartAsync(ct);

        (await ReadGreetingAsync(host.TcpServer("Public").LocalEndPoints[0], ct)).Should().Be("public");
        (await ReadGreetingAsync(host.TcpServer("Admin").LocalEndPoints[0], ct)).Should().Be("admin");
        await host.StopAsync(ct);
    }

    [Fact]
    public void AddTcpServer_SameNameTwice_Throws()
    {
        var services = new ServiceCollection();
        services.AddTcpServer();

        var again = () => services.AddTcpServer();

        again.Should().Throw<InvalidOperationException>().WithMessage("*TcpServer*already registered*");
    }

    [Fact]
    public async Task UseHandlerOfT_AndMiddlewareWithServices_AreResolvedFromTheHost()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" },
            server => server
                .Use(next => async (connection, token) =>
                {
                    await connection.SendAsync("<"u8.ToArray(), token);
                    await next(connection, token);
                })
                .Use((services, next) =>
                {
                    var greeting = services.GetRequiredService<Greeting>();
                    return async (connection, token) =>
                    {
                        await connection.SendAsync(Encoding.ASCII.GetBytes(greeting.Text), token);
                        await next(connection, token);
                    };
                })
                .UseHandler<GreetingHandler>(),
            builder => builder.Services.AddSingleton(new Greeting("hi")));
        await host.StartAsync(ct);

        var reply = await ReadGreetingAsync(host.TcpServer().LocalEndPoints[0], ct);

        reply.Should().Be("<hi|hi>", "the first middleware added runs first (outermost), the handler last, each with its services");
        host.Services.GetRequiredService<GreetingHandler>().Served.Should().Be(1, "UseHandler<T> registered the handler as a singleton");
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task StartAsync_HostServices_LoggerFactoryTimeProviderAndMeterFactoryReachTheServer()
    {
        var ct = TestTimeouts.Token();
        var clock = new FakeTimeProvider();
        TcpServerOptions? options = null;
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" },
            server => server.UseHandler(TestHosts.EchoAsync).ConfigureServer((_, o) => options = o),
            builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(clock);
                builder.Services.AddMetrics();
            });

        await host.StartAsync(ct);

        options!.LoggerFactory.Should().BeSameAs(host.Services.GetRequiredService<ILoggerFactory>());
        options.TimeProvider.Should().BeSameAs(clock);
        options.MeterFactory.Should().BeSameAs(host.Services.GetRequiredService<IMeterFactory>());
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task ConfigureServer_EndPointAddedInCode_IsServedBesideTheConfiguredOne()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.Build(
            new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" },
            server => server
                .UseHandler(ReplyAsync("served"))
                .ConfigureServer((_, options) => options.Listen(new IPEndPoint(IPAddress.Loopback, 0), endPoint => endPoint.Use(next => async (connection, token) =>
                {
                    await connection.SendAsync("code:"u8.ToArray(), token);
                    await next(connection, token);
                }))));

        await host.StartAsync(ct);

        var endPoints = host.TcpServer().LocalEndPoints;
        endPoints.Should().HaveCount(2);
        (await ReadGreetingAsync(endPoints[0], ct)).Should().Be("served");
        (await ReadGreetingAsync(endPoints[1], ct)).Should().Be("code:served");
        await host.StopAsync(ct);
    }

    [Fact]
    public async Task StartAsync_EndPointTaken_FailsTheHostsStartAndReleasesTheOthers()
    {
        var ct = TestTimeouts.Token();
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        using var host = TestHosts.BuildEcho(new Dictionary<string, string?> { ["TcpServer:EndPoints:1"] = taken.LocalEndPoint!.ToString() });

        var start = () => host.StartAsync(ct);

        (await start.Should().ThrowAsync<TcpBindException>()).Which.SocketError.Should().Be(SocketError.AddressAlreadyInUse);
        host.TcpServer().IsListening.Should().BeFalse();
        host.TcpServer().Server.Should().BeNull();
    }

    private static ConnectionHandler ReplyAsync(string text) => async (connection, token) =>
        await connection.SendAsync(Encoding.ASCII.GetBytes(text), token);

    private static async Task<string> ReadGreetingAsync(EndPoint endPoint, CancellationToken ct)
    {
        using var socket = await TestHosts.ConnectAsync(endPoint, ct);
        return await TestHosts.ReadToEndOrResetAsync(socket, ct);
    }

    private sealed record Greeting(string Text);

    private sealed class GreetingHandler(Greeting greeting) : ITcpConnectionHandler
    {
        private int _served;

        public int Served => Volatile.Read(ref _served);

        public async Task HandleConnectionAsync(Connection connection, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _served);
            await connection.SendAsync(Encoding.ASCII.GetBytes("|" + greeting.Text + ">"), cancellationToken);
        }
    }
}
