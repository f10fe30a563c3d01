using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections;
using TcpToolkit.Testing;
using TcpToolkit.Tls;

namespace TcpToolkit.Tests.Tls;

/// <summary>The server options' defaults and validating setters, and what UseTls requires of them.</summary>
public sealed class TlsServerOptionsTests
{
    // SslProtocols.Ssl3, Tls and Tls11 by value: their names are obsolete (SYSLIB0039), which is the point.
    private const SslProtocols Ssl3 = (SslProtocols)0x30;
    private const SslProtocols Tls10 = (SslProtocols)0xC0;
    private const SslProtocols Tls11 = (SslProtocols)0x300;

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new TlsServerOptions();

        options.ServerCertificate.Should().BeNull();
        options.ServerCertificateSelector.Should().BeNull();
        options.ClientCertificateMode.Should().Be(ClientCertificateMode.None);
        options.ClientCertificateValidation.Should().BeNull();
        options.CertificateChainPolicy.Should().BeNull();
        options.EnabledProtocols.Should().Be(SslProtocols.Tls12 | SslProtocols.Tls13);
        options.HandshakeTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.ApplicationProtocols.Should().BeEmpty();
        options.CipherSuitesPolicy.Should().BeNull();
        options.LoggerFactory.Should().BeSameAs(NullLoggerFactory.Instance);
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
    }

    [Theory]
    [InlineData(SslProtocols.None)]
    [InlineData(Ssl3)]
    [InlineData(Tls10)]
    [InlineData(Tls11)]
    [InlineData(Tls11 | SslProtocols.Tls12)]
    public void EnabledProtocols_EmptyOrDeprecated_Throws(SslProtocols protocols)
    {
        var options = new TlsServerOptions();

        var set = () => options.EnabledProtocols = protocols;

        set.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*RFC 8996*");
        options.EnabledProtocols.Should().Be(SslProtocols.Tls12 | SslProtocols.Tls13);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12 | SslProtocols.Tls13)]
    public void EnabledProtocols_Tls12OrTls13_Accepted(SslProtocols protocols)
    {
        var options = new TlsServerOptions { EnabledProtocols = protocols };

        options.EnabledProtocols.Should().Be(protocols);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-5000)]
    public void HandshakeTimeout_NotPositive_Throws(int milliseconds)
    {
        var set = () => new TlsServerOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(milliseconds) };

        set.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void HandshakeTimeout_InfiniteOrHuge_ThrowsBecauseAHandshakeIsAlwaysBounded()
    {
        var infinite = () => new TlsServerOptions { HandshakeTimeout = Timeout.InfiniteTimeSpan };
        var huge = () => new TlsServerOptions { HandshakeTimeout = TimeSpan.FromDays(30) };

        infinite.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*bounded*");
        huge.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void ServerCertificate_WithoutPrivateKey_Throws()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(TestCertificates.Localhost.RawData);

        var set = () => new TlsServerOptions { ServerCertificate = publicOnly };

        set.Should().Throw<ArgumentException>().WithMessage("*private key*");
    }

    [Fact]
    public void ClientCertificateMode_Undefined_Throws()
    {
        var set = () => new TlsServerOptions { ClientCertificateMode = (ClientCertificateMode)7 };

        set.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void LoggerFactoryAndTimeProvider_Null_Throw()
    {
        var options = new TlsServerOptions();

        var logger = () => options.LoggerFactory = null!;
        var clock = () => options.TimeProvider = null!;

        logger.Should().Throw<ArgumentNullException>();
        clock.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void UseTls_NeitherCertificateNorSelector_Throws()
    {
        var builder = new ConnectionBuilder();

        var use = () => builder.UseTls(new TlsServerOptions());

        use.Should().Throw<ArgumentException>().WithMessage("*ServerCertificate*");
        builder.Count.Should().Be(0);
    }

    [Fact]
    public void UseTls_WithACertificate_AddsOneMiddleware()
    {
        var builder = new ConnectionBuilder();

        builder.UseTls(new TlsServerOptions { ServerCertificate = TestCertificates.Localhost }).Should().BeSameAs(builder);

        builder.Count.Should().Be(1);
    }
}
