using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Proxy;

namespace TcpToolkit.Tests.Proxy;

/// <summary>The options' defaults and their validating setters.</summary>
public sealed class ProxyProtocolOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new ProxyProtocolOptions();

        options.TrustedProxies.Should().Equal(IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128"));
        options.TrustUnixDomainSocketPeers.Should().BeFalse();
        options.MaxHeaderSize.Should().Be(4096);
        options.HeaderTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
        options.LoggerFactory.Should().BeSameAs(NullLoggerFactory.Instance);
        options.RejectedConnectionCount.Should().Be(0);
    }

    [Theory]
    [InlineData(231)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65552)]
    public void MaxHeaderSize_OutOfRange_ArgumentOutOfRange(int value)
    {
        var act = () => new ProxyProtocolOptions { MaxHeaderSize = value };

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(232)]
    [InlineData(65551)]
    public void MaxHeaderSize_Bounds_Accepted(int value)
    {
        new ProxyProtocolOptions { MaxHeaderSize = value }.MaxHeaderSize.Should().Be(value);
    }

    [Fact]
    public void HeaderTimeout_ZeroOrNegative_ArgumentOutOfRangeAndNullMeansNone()
    {
        var options = new ProxyProtocolOptions();

        options.Invoking(o => o.HeaderTimeout = TimeSpan.Zero).Should().Throw<ArgumentOutOfRangeException>();
        options.Invoking(o => o.HeaderTimeout = TimeSpan.FromSeconds(-1)).Should().Throw<ArgumentOutOfRangeException>();
        options.HeaderTimeout = null;
        options.HeaderTimeout.Should().BeNull();
    }

    [Fact]
    public void TimeProviderAndLoggerFactory_Null_ArgumentNullException()
    {
        var options = new ProxyProtocolOptions();

        options.Invoking(o => o.TimeProvider = null!).Should().Throw<ArgumentNullException>();
        options.Invoking(o => o.LoggerFactory = null!).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void GetRejectedConnectionCount_UndefinedError_ArgumentOutOfRange()
    {
        var options = new ProxyProtocolOptions();

        options.Invoking(o => o.GetRejectedConnectionCount(0)).Should().Throw<ArgumentOutOfRangeException>();
        options.Invoking(o => o.GetRejectedConnectionCount((ProxyProtocolError)99)).Should().Throw<ArgumentOutOfRangeException>();
        foreach (var error in Enum.GetValues<ProxyProtocolError>())
        {
            options.GetRejectedConnectionCount(error).Should().Be(0);
        }
    }
}
