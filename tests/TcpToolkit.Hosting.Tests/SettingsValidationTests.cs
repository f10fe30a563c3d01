using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace TcpToolkit.Hosting.Tests;

/// <summary>An invalid configuration stops the host's start with messages that name each bad setting by its path.</summary>
public sealed class SettingsValidationTests
{
    [Fact]
    public async Task StartAsync_InvalidSettings_ThrowsOneExceptionNamingEverySetting()
    {
        var ct = TestTimeouts.Token();
        using var host = TestHosts.BuildEcho(new Dictionary<string, string?>
        {
            ["TcpServer:EndPoints:1"] = "localhost:x",
            ["TcpServer:EndPoints:2"] = "[::1]",
            ["TcpServer:MaxConnections"] = "0",
            ["TcpServer:Backlog"] = "-1",
            ["TcpServer:IdleTimeout"] = "-00:00:01",
            ["TcpServer:MinReceiveDataRate"] = "0",
            ["TcpServer:Tls:CertificatePath"] = "/nonexistent/server.pfx",
            ["TcpServer:Tls:EnabledProtocols"] = "Tls11",
            ["TcpServer:ProxyProtocol:TrustedProxies:0"] = "10.0.0.0/33",
            ["TcpServer:ProxyProtocol:MaxHeaderSize"] = "100",
        });

        var start = () => host.StartAsync(ct);

        var error = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        error.OptionsName.Should().Be("TcpServer");
        error.Failures.Should().HaveCount(10);
        error.Message.Should()
            .Contain("TcpServer:EndPoints:1 'localhost:x' is not an IP endpoint")
            .And.Contain("TcpServer:EndPoints:2 '[::1]' has no port")
            .And.Contain("TcpServer:MaxConnections must be positive")
            .And.Contain("TcpServer:Backlog must be positive")
            .And.Contain("TcpServer:IdleTimeout must be positive")
            .And.Contain("TcpServer:MinReceiveDataRate must be a positive number")
            .And.Contain("TcpServer:Tls:CertificatePath '/nonexistent/server.pfx' does not exist")
            .And.Contain("TcpServer:Tls:EnabledProtocols must be Tls12, Tls13 or both")
            .And.Contain("TcpServer:ProxyProtocol:TrustedProxies:0 '10.0.0.0/33' is not a network in CIDR notation")
            .And.Contain("TcpServer:ProxyProtocol:MaxHeaderSize must be 232 to 65551 bytes");
        host.TcpServer().IsListening.Should().BeFalse("the validation runs before any hosted service starts");
    }

    [Fact]
    public async Task StartAsync_NoEndPoints_SaysWhichSettingToAdd()
    {
        using var host = TestHosts.Build(new Dictionary<string, string?>(), server => server.UseHandler(TestHosts.EchoAsync));

        var start = () => host.StartAsync(TestTimeouts.Token());

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should()
            .Contain("TcpServer:EndPoints is empty").And.Contain("TcpServer:EndPoints:0 = 127.0.0.1:65432");
    }

    [Fact]
    public async Task StartAsync_NoHandler_SaysToCallUseHandler()
    {
        using var host = TestHosts.Build(new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" }, _ => { });

        var start = () => host.StartAsync(TestTimeouts.Token());

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("TcpServer has no connection handler: call UseHandler");
    }

    [Fact]
    public async Task StartAsync_ValueOfTheWrongType_ThrowsNamingItsPath()
    {
        using var host = TestHosts.BuildEcho(new Dictionary<string, string?> { ["TcpServer:MaxConnections"] = "many" });

        var start = () => host.StartAsync(TestTimeouts.Token());

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("TcpServer:MaxConnections").And.Contain("many");
    }

    [Fact]
    public async Task StartAsync_MisspeltKey_ThrowsNamingIt()
    {
        using var host = TestHosts.BuildEcho(new Dictionary<string, string?> { ["TcpServer:MaxConection"] = "10" });

        var start = () => host.StartAsync(TestTimeouts.Token());

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("MaxConection");
    }

    [Fact]
    public async Task StartAsync_NamedServerInItsOwnSection_MessagesUseThatSectionsPath()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Servers:Admin:EndPoints:0"] = "*:x" });
        builder.Services.AddTcpServer("Admin").BindConfiguration("Servers:Admin").UseHandler(TestHosts.EchoAsync);
        using var host = builder.Build();

        var start = () => host.StartAsync(TestTimeouts.Token());

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("Servers:Admin:EndPoints:0 '*:x' has no valid port");
    }

    [Fact]
    public async Task StartAsync_ClientCertificatesWithoutTls_SaysTlsIsOff()
    {
        using var host = TestHosts.BuildEcho(new Dictionary<string, string?> { ["TcpServer:Tls:ClientCertificateMode"] = "Require" });

        var start = () => host.StartAsync(TestTimeouts.Token());

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("TcpServer:Tls asks for client certificates but TLS is off");
    }
}
