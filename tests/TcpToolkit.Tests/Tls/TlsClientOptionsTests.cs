using System.Security.Authentication;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections;
using TcpToolkit.Tls;

namespace TcpToolkit.Tests.Tls;

/// <summary>The client options' defaults and validating setters.</summary>
public sealed class TlsClientOptionsTests
{
    private const SslProtocols Tls11 = (SslProtocols)0x300;

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new TlsClientOptions { TargetHost = "example.test" };

        options.TargetHost.Should().Be("example.test");
        options.RemoteCertificateValidation.Should().BeNull("validation is strict unless the caller writes a callback");
        options.CertificateChainPolicy.Should().BeNull();
        options.ClientCertificates.Should().BeEmpty();
        options.EnabledProtocols.Should().Be(SslProtocols.Tls12 | SslProtocols.Tls13);
        options.HandshakeTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.ApplicationProtocols.Should().BeEmpty();
        options.LoggerFactory.Should().BeSameAs(NullLoggerFactory.Instance);
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void TargetHost_EmptyOrWhiteSpace_Throws(string host)
    {
        var set = () => new TlsClientOptions { TargetHost = host };

        set.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(SslProtocols.None)]
    [InlineData(Tls11 | SslProtocols.Tls12)]
    public void EnabledProtocols_EmptyOrDeprecated_Throws(SslProtocols protocols)
    {
        var set = () => new TlsClientOptions { TargetHost = "example.test", EnabledProtocols = protocols };

        set.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void HandshakeTimeout_Infinite_Throws()
    {
        var set = () => new TlsClientOptions { TargetHost = "example.test", HandshakeTimeout = Timeout.InfiniteTimeSpan };

        set.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void UseTls_ClientOptions_AddsOneMiddleware()
    {
        var builder = new ConnectionBuilder();

        builder.UseTls(new TlsClientOptions { TargetHost = "example.test" }).Should().BeSameAs(builder);

        builder.Count.Should().Be(1);
    }
}
