using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using TcpToolkit.Tls;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>Protocol versions and ALPN, negotiated on loopback sockets and visible on both sides.</summary>
public sealed class TlsProtocolTests
{
    public static TheoryData<SslProtocols> Protocols => [SslProtocols.Tls12, SslProtocols.Tls13];

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task ConnectAsync_ClientForcesAVersion_BothSidesNegotiateIt(SslProtocols protocol)
    {
        var ct = TestServers.Timeout();
        var onServer = new TaskCompletionSource<TlsConnectionInfo?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TlsTesting.StartServerAsync(
            async (connection, stopping) =>
            {
                onServer.TrySetResult(connection.GetFeature<TlsConnectionInfo>());
                await TestServers.EchoAsync(connection, stopping);
            },
            TlsTesting.ServerOptions());
        var tls = TlsTesting.ClientOptions();
        tls.EnabledProtocols = protocol;
        await using var client = TlsTesting.CreateClient(tls);

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        connection.GetFeature<TlsConnectionInfo>()!.Protocol.Should().Be(protocol);
        (await onServer.Task.WaitAsync(ct))!.Protocol.Should().Be(protocol);
        (await TlsTesting.EchoAsync(connection, "versioned"u8.ToArray(), ct)).Should().Equal("versioned"u8.ToArray());
    }

    [Fact]
    public async Task ConnectAsync_NoCommonVersion_ThrowsTlsHandshakeException()
    {
        var ct = TestServers.Timeout();
        var serverTls = TlsTesting.ServerOptions();
        serverTls.EnabledProtocols = SslProtocols.Tls13;
        await using var server = await TlsTesting.StartServerAsync(TestServers.EchoAsync, serverTls);
        var tls = TlsTesting.ClientOptions();
        tls.EnabledProtocols = SslProtocols.Tls12;
        await using var client = TlsTesting.CreateClient(tls);

        var connect = async () => await client.ConnectAsync(server.LocalEndPoint, ct);

        await connect.Should().ThrowAsync<TlsHandshakeException>();
    }

    [Fact]
    public async Task ApplicationProtocols_CommonProtocol_NegotiatedAndVisibleOnBothSides()
    {
        var ct = TestServers.Timeout();
        var onServer = new TaskCompletionSource<SslApplicationProtocol>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverTls = TlsTesting.ServerOptions();
        serverTls.ApplicationProtocols.Add(new SslApplicationProtocol("tcptk/2"));
        serverTls.ApplicationProtocols.Add(new SslApplicationProtocol("tcptk/1"));
        await using var server = await TlsTesting.StartServerAsync(
            async (connection, stopping) =>
            {
                onServer.TrySetResult(connection.GetFeature<TlsConnectionInfo>()!.ApplicationProtocol);
                await TestServers.EchoAsync(connection, stopping);
            },
            serverTls);
        var tls = TlsTesting.ClientOptions();
        tls.ApplicationProtocols.Add(new SslApplicationProtocol("tcptk/1"));
        tls.ApplicationProtocols.Add(new SslApplicationProtocol("other/9"));
        await using var client = TlsTesting.CreateClient(tls);

        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);

        var agreed = connection.GetFeature<TlsConnectionInfo>()!.ApplicationProtocol;
        Encoding.ASCII.GetString(agreed.Protocol.Span).Should().Be("tcptk/1");
        (await onServer.Task.WaitAsync(ct)).Should().Be(agreed);
    }
}
