using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using TcpToolkit.Connections;
using TcpToolkit.InMemory;
using TcpToolkit.Proxy;
using static TcpToolkit.Tests.Proxy.ProxyVectors;

namespace TcpToolkit.Tests.Proxy;

/// <summary>
/// The server middleware over in-memory pairs (the server end's peer set to an address, as a socket's would be): trust,
/// endpoints, the feature, what stays in the input, every refusal (aborted with MiddlewareError, counted, logged, the
/// handler never runs), and the header timeout on a fake clock.
/// </summary>
public sealed class ProxyProtocolMiddlewareTests
{
    private static readonly IPEndPoint Proxy = new(IPAddress.Loopback, 40000);
    private static readonly IPEndPoint Listener = new(IPAddress.Loopback, 8080);

    [Fact]
    public async Task UseProxyProtocol_V1HeaderThenData_HandlerSeesTheClientAndTheDataAfterTheHeader()
    {
        var ct = Deadline();
        var (client, server) = Pair(Proxy);
        var seen = new TaskCompletionSource<(EndPoint? Remote, EndPoint? Local, ProxyProtocolHeader? Header, byte[] Data)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Run(server, new ProxyProtocolOptions(), async (connection, token) =>
        {
            var data = await ReadToEndAsync(connection.Input, token);
            seen.SetResult((connection.RemoteEndPoint, connection.LocalEndPoint, connection.GetFeature<ProxyProtocolHeader>(), data));
        }, ct);

        byte[] wire = [.. V1Tcp4, .. "hello"u8];
        await client.SendAsync(wire, ct);
        await client.Output.CompleteAsync();
        await run.WaitAsync(ct);

        var (remote, local, header, data) = await seen.Task.WaitAsync(ct);
        remote.Should().Be(new IPEndPoint(IPAddress.Parse("192.168.0.1"), 56324));
        local.Should().Be(new IPEndPoint(IPAddress.Parse("192.168.0.11"), 443));
        header!.Version.Should().Be(1);
        header.ProxyEndPoint.Should().Be(Proxy, "the socket's peer before the rewrite");
        data.Should().Equal("hello"u8.ToArray());
    }

    [Fact]
    public async Task UseProxyProtocol_V2HeaderArrivingInPieces_HandlerSeesTheTlvsAndTheDataAfterTheHeader()
    {
        var ct = Deadline();
        var (client, server) = Pair(Proxy);
        var seen = new TaskCompletionSource<(ProxyProtocolHeader? Header, byte[] Data)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Run(server, new ProxyProtocolOptions(), async (connection, token) =>
        {
            var data = await ReadToEndAsync(connection.Input, token);
            seen.SetResult((connection.GetFeature<ProxyProtocolHeader>(), data));
        }, ct);

        byte[] wire = [.. V2WithTlvs, .. "payload"u8];
        foreach (var piece in new[] { wire[..5], wire[5..17], wire[17..60], wire[60..] })
        {
            await client.SendAsync(piece, ct);
        }

        await client.Output.CompleteAsync();
        await run.WaitAsync(ct);

        var (header, data) = await seen.Task.WaitAsync(ct);
        header!.SslCommonName.Should().Be("client.example");
        header.Alpn.Should().Be("h2");
        data.Should().Equal("payload"u8.ToArray());
    }

    [Fact]
    public async Task UseProxyProtocol_Local_ConnectionKeepsItsSocketAddresses()
    {
        var ct = Deadline();
        var (client, server) = Pair(Proxy);
        var seen = new TaskCompletionSource<(EndPoint? Remote, EndPoint? Local, ProxyProtocolHeader? Header)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Run(server, new ProxyProtocolOptions(), (connection, _) =>
        {
            seen.SetResult((connection.RemoteEndPoint, connection.LocalEndPoint, connection.GetFeature<ProxyProtocolHeader>()));
            return Task.CompletedTask;
        }, ct);

        await client.SendAsync(V2LocalWithAddresses, ct);
        await run.WaitAsync(ct);

        var (remote, local, header) = await seen.Task.WaitAsync(ct);
        remote.Should().Be(Proxy);
        local.Should().Be(Listener);
        header!.IsLocal.Should().BeTrue();
        header.ProxyEndPoint.Should().Be(Proxy);
    }

    [Fact]
    public async Task UseProxyProtocol_V1Unknown_ConnectionKeepsItsSocketAddresses()
    {
        var ct = Deadline();
        var (client, server) = Pair(Proxy);
        var seen = new TaskCompletionSource<EndPoint?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Run(server, new ProxyProtocolOptions(), (connection, _) =>
        {
            seen.SetResult(connection.RemoteEndPoint);
            return Task.CompletedTask;
        }, ct);

        await client.SendAsync(V1Unknown, ct);
        await run.WaitAsync(ct);

        (await seen.Task.WaitAsync(ct)).Should().Be(Proxy);
    }

    [Fact]
    public async Task UseProxyProtocol_UntrustedPeer_RefusedBeforeReadingAbortedCountedAndLogged()
    {
        var ct = Deadline();
        var (logs, loggerFactory) = Logs();
        var options = new ProxyProtocolOptions { LoggerFactory = loggerFactory };
        options.TrustedProxies.Clear();
        options.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8"));
        var (_, server) = Pair(Proxy);
        var handlerRan = false;

        // Nothing is sent: the refusal does not wait for a byte.
        var act = () => Run(server, options, (_, _) =>
        {
            handlerRan = true;
            return Task.CompletedTask;
        }, ct).WaitAsync(ct);

        (await act.Should().ThrowAsync<ProxyProtocolException>()).Which.Error.Should().Be(ProxyProtocolError.Untrusted);
        handlerRan.Should().BeFalse();
        server.CloseReason.Should().Be(CloseReason.MiddlewareError);
        options.RejectedConnectionCount.Should().Be(1);
        options.GetRejectedConnectionCount(ProxyProtocolError.Untrusted).Should().Be(1);
        var record = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 602).Which;
        record.Id.Name.Should().Be("ProxyHeaderRejected");
        record.Message.Should().Contain("Untrusted").And.Contain("127.0.0.1:40000");
    }

    public static TheoryData<string, EndPoint> TrustedByDefault() => new()
    {
        { "IPv4 loopback", new IPEndPoint(IPAddress.Parse("127.0.0.1"), 1) },
        { "anywhere in 127.0.0.0/8", new IPEndPoint(IPAddress.Parse("127.1.2.3"), 1) },
        { "IPv6 loopback", new IPEndPoint(IPAddress.IPv6Loopback, 1) },
        { "IPv4 loopback mapped to IPv6 (a dual-mode listener)", new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 1) },
    };

    [Theory]
    [MemberData(nameof(TrustedByDefault))]
    public async Task UseProxyProtocol_LoopbackPeerAndDefaultOptions_Trusted(string because, EndPoint peer)
    {
        var ct = Deadline();
        var (client, server) = Pair(peer);
        var run = Run(server, new ProxyProtocolOptions(), (_, _) => Task.CompletedTask, ct);

        await client.SendAsync(V2Tcp4, ct);

        await run.WaitAsync(ct);
        server.GetFeature<ProxyProtocolHeader>().Should().NotBeNull(because);
    }

    public static TheoryData<string, EndPoint?> UntrustedByDefault() => new()
    {
        { "a public IPv4 address", new IPEndPoint(IPAddress.Parse("203.0.113.9"), 1) },
        { "a private IPv4 address", new IPEndPoint(IPAddress.Parse("10.0.0.1"), 1) },
        { "a public IPv6 address", new IPEndPoint(IPAddress.Parse("2001:db8::9"), 1) },
        { "a Unix domain socket peer (opt in with TrustUnixDomainSocketPeers)", new UnixDomainSocketEndPoint("/tmp/peer") },
        { "no peer address at all", null },
    };

    [Theory]
    [MemberData(nameof(UntrustedByDefault))]
    public async Task UseProxyProtocol_OtherPeersAndDefaultOptions_Untrusted(string because, EndPoint? peer)
    {
        var ct = Deadline();
        var (_, server) = Pair(peer);

        var act = () => Run(server, new ProxyProtocolOptions(), (_, _) => Task.CompletedTask, ct).WaitAsync(ct);

        (await act.Should().ThrowAsync<ProxyProtocolException>(because)).Which.Error.Should().Be(ProxyProtocolError.Untrusted);
    }

    [Fact]
    public async Task UseProxyProtocol_UnixPeerAndTrustUnixDomainSocketPeers_Trusted()
    {
        var ct = Deadline();
        var (client, server) = Pair(new UnixDomainSocketEndPoint("/tmp/haproxy"));
        var run = Run(server, new ProxyProtocolOptions { TrustUnixDomainSocketPeers = true }, (_, _) => Task.CompletedTask, ct);

        await client.SendAsync(V2Unix, ct);

        await run.WaitAsync(ct);
        server.RemoteEndPoint.Should().Be(new UnixDomainSocketEndPoint("/run/client.sock"));
    }

    public static TheoryData<string, byte[], ProxyProtocolError> RefusedHeaders() => new()
    {
        { "plain data", "GET / HTTP/1.1\r\n\r\n"u8.ToArray(), ProxyProtocolError.MissingHeader },
        { "a malformed line", Ascii("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), ProxyProtocolError.Malformed },
        { "a bad address", Ascii("PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n"), ProxyProtocolError.InvalidAddress },
        { "version 3", V2(0x31, 0x11, new byte[12]), ProxyProtocolError.UnsupportedVersion },
        { "a bad checksum", [.. V2WithChecksum[..^1], (byte)~V2WithChecksum[^1]], ProxyProtocolError.ChecksumMismatch },
        { "a header over MaxHeaderSize", [.. Signature, 0x21, 0x11, 0xFF, 0xFF], ProxyProtocolError.TooLarge },
    };

    [Theory]
    [MemberData(nameof(RefusedHeaders))]
    public async Task UseProxyProtocol_BadHeader_RefusedWithItsReasonAndTheHandlerNeverRuns(string because, byte[] wire, ProxyProtocolError error)
    {
        var ct = Deadline();
        var (logs, loggerFactory) = Logs();
        var options = new ProxyProtocolOptions { LoggerFactory = loggerFactory };
        var (client, server) = Pair(Proxy);
        var handlerRan = false;
        var run = Run(server, options, (_, _) =>
        {
            handlerRan = true;
            return Task.CompletedTask;
        }, ct);

        await client.SendAsync(wire, ct);

        (await run.Awaiting(t => t.WaitAsync(ct)).Should().ThrowAsync<ProxyProtocolException>(because)).Which.Error.Should().Be(error);
        handlerRan.Should().BeFalse();
        server.CloseReason.Should().Be(CloseReason.MiddlewareError);
        options.GetRejectedConnectionCount(error).Should().Be(1);
        logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 602).Which.Message.Should().Contain(error.ToString());
        var peerSees = async () => await ReadToEndAsync(client.Input, ct);
        await peerSees.Should().ThrowAsync<ConnectionResetException>("the connection is aborted, not closed gracefully");
    }

    [Fact]
    public async Task UseProxyProtocol_PeerClosesInsideTheHeader_Truncated()
    {
        var ct = Deadline();
        var (client, server) = Pair(Proxy);
        var run = Run(server, new ProxyProtocolOptions(), (_, _) => Task.CompletedTask, ct);

        await client.SendAsync(V2Tcp6.AsMemory(0, 30), ct);
        await client.Output.CompleteAsync();

        var thrown = await run.Awaiting(t => t.WaitAsync(ct)).Should().ThrowAsync<ProxyProtocolException>();
        thrown.Which.Error.Should().Be(ProxyProtocolError.Truncated);
        thrown.Which.Message.Should().Contain("30 bytes");
    }

    [Fact]
    public async Task UseProxyProtocol_PeerClosesWithoutSendingAnything_Truncated()
    {
        var ct = Deadline();
        var (client, server) = Pair(Proxy);
        var run = Run(server, new ProxyProtocolOptions(), (_, _) => Task.CompletedTask, ct);

        await client.Output.CompleteAsync();

        (await run.Awaiting(t => t.WaitAsync(ct)).Should().ThrowAsync<ProxyProtocolException>()).Which.Error.Should().Be(ProxyProtocolError.Truncated);
    }

    [Fact]
    public async Task UseProxyProtocol_HeaderSlowerThanHeaderTimeout_TimeoutOnTheFakeClock()
    {
        var ct = Deadline();
        var time = new FakeTimeProvider();
        var options = new ProxyProtocolOptions { TimeProvider = time, HeaderTimeout = TimeSpan.FromSeconds(3) };
        var (client, server) = Pair(Proxy);

        // The timer is armed before the middleware's first await, so it exists when Run returns.
        var run = Run(server, options, (_, _) => Task.CompletedTask, ct);
        await client.SendAsync(V1Tcp4.AsMemory(0, 20), ct);
        time.Advance(TimeSpan.FromSeconds(2.9));
        run.IsCompleted.Should().BeFalse("the timeout has not passed");

        time.Advance(TimeSpan.FromSeconds(0.1));

        var thrown = await run.Awaiting(t => t.WaitAsync(ct)).Should().ThrowAsync<ProxyProtocolException>();
        thrown.Which.Error.Should().Be(ProxyProtocolError.Timeout);
        thrown.Which.Message.Should().Contain("3 s");
        server.CloseReason.Should().Be(CloseReason.MiddlewareError);
        options.GetRejectedConnectionCount(ProxyProtocolError.Timeout).Should().Be(1);
    }

    [Fact]
    public async Task UseProxyProtocol_HeaderTimeoutNull_WaitsWithoutALimit()
    {
        var ct = Deadline();
        var time = new FakeTimeProvider();
        var (client, server) = Pair(Proxy);
        var run = Run(server, new ProxyProtocolOptions { TimeProvider = time, HeaderTimeout = null }, (_, _) => Task.CompletedTask, ct);

        await client.SendAsync(V1Tcp4.AsMemory(0, 20), ct);
        time.Advance(TimeSpan.FromDays(1));
        run.IsCompleted.Should().BeFalse();

        await client.SendAsync(V1Tcp4.AsMemory(20), ct);
        await run.WaitAsync(ct);
        server.GetFeature<ProxyProtocolHeader>().Should().NotBeNull();
    }

    [Fact]
    public async Task UseProxyProtocol_OwnerStopsDuringTheHeader_CancellationNotARefusal()
    {
        var ct = Deadline();
        using var stopping = new CancellationTokenSource();
        var options = new ProxyProtocolOptions();
        var (client, server) = Pair(Proxy);
        var run = Run(server, options, (_, _) => Task.CompletedTask, stopping.Token);
        await client.SendAsync(V1Tcp4.AsMemory(0, 10), ct);

        await stopping.CancelAsync();

        // An OperationCanceledException (the owner's stop), not a ProxyProtocolException: nothing to count.
        await run.Awaiting(t => t.WaitAsync(ct)).Should().ThrowAsync<OperationCanceledException>();
        options.RejectedConnectionCount.Should().Be(0);
    }

    [Fact]
    public async Task UseProxyProtocol_Accepted_LogsTheClientAndTheProxy()
    {
        var ct = Deadline();
        var (logs, loggerFactory) = Logs();
        var (client, server) = Pair(Proxy);
        var run = Run(server, new ProxyProtocolOptions { LoggerFactory = loggerFactory }, (_, _) => Task.CompletedTask, ct);

        await client.SendAsync(V2Tcp4, ct);
        await run.WaitAsync(ct);

        var record = logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 600).Which;
        record.Id.Name.Should().Be("ProxyHeaderAccepted");
        record.Level.Should().Be(LogLevel.Debug);
        record.Message.Should().Contain("192.168.0.1:56324").And.Contain("127.0.0.1:40000");
    }

    [Fact]
    public async Task UseProxyProtocol_OptionsChangedAfterTheBuild_TheBuiltPipelineKeepsItsSnapshot()
    {
        var ct = Deadline();
        var options = new ProxyProtocolOptions();
        var pipeline = new ConnectionBuilder().UseProxyProtocol(options).Build((_, _) => Task.CompletedTask);
        options.TrustedProxies.Clear();
        var (client, server) = Pair(Proxy);

        var run = pipeline(server, ct);
        await client.SendAsync(V2Tcp4, ct);

        await run.WaitAsync(ct);
        server.GetFeature<ProxyProtocolHeader>().Should().NotBeNull();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task UseProxyProtocolHeader_ClientAndServerMiddleware_RoundTripTheAddresses(int version)
    {
        var ct = Deadline();
        var (client, server) = Pair(Proxy);
        var source = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 61000);
        var destination = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 443);
        var serverSaw = new TaskCompletionSource<(EndPoint? Remote, EndPoint? Local, byte[] Data)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverRun = Run(server, new ProxyProtocolOptions(), async (connection, token) =>
        {
            var data = await ReadToEndAsync(connection.Input, token);
            serverSaw.SetResult((connection.RemoteEndPoint, connection.LocalEndPoint, data));
        }, ct);

        var clientPipeline = new ConnectionBuilder().UseProxyProtocolHeader(version, source, destination).Build(async (connection, token) =>
        {
            await connection.SendAsync("after the header"u8.ToArray(), token);
            await connection.Output.CompleteAsync();
        });
        await clientPipeline(client, ct).WaitAsync(ct);
        await serverRun.WaitAsync(ct);

        var (remote, local, data) = await serverSaw.Task.WaitAsync(ct);
        remote.Should().Be(source);
        local.Should().Be(destination);
        data.Should().Equal("after the header"u8.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task UseProxyProtocolHeader_DefaultEndPoints_TheConnectionsOwnAddressesComeFirst(int version)
    {
        var ct = Deadline();
        var (client, server) = InMemoryServer.CreateConnectionPair();
        client.LocalEndPoint = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5000);
        client.RemoteEndPoint = new IPEndPoint(IPAddress.Parse("192.0.2.2"), 6000);
        var pipeline = new ConnectionBuilder().UseProxyProtocolHeader(version).Build(async (connection, token) =>
        {
            await connection.SendAsync("x"u8.ToArray(), token);
            await connection.Output.CompleteAsync();
        });

        await pipeline(client, ct).WaitAsync(ct);
        var wire = await ReadToEndAsync(server.Input, ct);

        var expected = new ArrayBufferWriter<byte>();
        _ = version == 1
            ? ProxyProtocolHeader.WriteV1(expected, client.LocalEndPoint, client.RemoteEndPoint)
            : ProxyProtocolHeader.WriteV2(expected, client.LocalEndPoint, client.RemoteEndPoint);
        wire.Should().Equal([.. expected.WrittenSpan, (byte)'x']);
    }

    [Fact]
    public void UseProxyProtocolHeader_BadArguments_ThrowWhenAdded()
    {
        var builder = new ConnectionBuilder();
        var unix = new UnixDomainSocketEndPoint("/a");

        builder.Invoking(b => b.UseProxyProtocolHeader(3)).Should().Throw<ArgumentOutOfRangeException>();
        builder.Invoking(b => b.UseProxyProtocolHeader(2, Proxy, null)).Should().Throw<ArgumentException>();
        builder.Invoking(b => b.UseProxyProtocolHeader(1, unix, unix)).Should().Throw<ArgumentException>("version 1 has no Unix sockets");
        builder.Count.Should().Be(0);
    }

    [Fact]
    public void UseProxyProtocol_NullArguments_ArgumentNullException()
    {
        var act = () => new ConnectionBuilder().UseProxyProtocol(null!);

        act.Should().Throw<ArgumentNullException>();
    }

    private static (Connection Client, Connection Server) Pair(EndPoint? peer)
    {
        var (client, server) = InMemoryServer.CreateConnectionPair();
        server.RemoteEndPoint = peer;
        server.LocalEndPoint = Listener;
        return (client, server);
    }

    private static Task Run(Connection server, ProxyProtocolOptions options, ConnectionHandler handler, CancellationToken cancellationToken)
        => new ConnectionBuilder().UseProxyProtocol(options).Build(handler)(server, cancellationToken);

    private static (FakeLogCollector Logs, ILoggerFactory Factory) Logs()
    {
        var collector = new FakeLogCollector();
        var factory = new LoggerFactory();
        factory.AddProvider(new FakeLoggerProvider(collector));
        return (collector, factory);
    }

    private static CancellationToken Deadline()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TestTimeouts.Default);
        return source.Token;
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                received.AddRange(segment.ToArray());
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return [.. received];
            }
        }
    }
}
