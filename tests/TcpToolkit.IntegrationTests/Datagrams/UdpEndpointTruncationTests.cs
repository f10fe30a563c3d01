using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using TcpToolkit.Datagrams;

namespace TcpToolkit.IntegrationTests.Datagrams;

/// <summary>A datagram over the maximum size is delivered cut, flagged, counted and logged: never cut silently.</summary>
public sealed class UdpEndpointTruncationTests
{
    [Fact]
    public async Task Receive_DatagramOverMaxDatagramSize_TruncatedFlaggedCountedAndLogged()
    {
        var ct = TestServers.Timeout();
        using var loggerFactory = new LoggerFactory();
        var collector = new FakeLogCollector();
        loggerFactory.AddProvider(new FakeLoggerProvider(collector));
        await using var receiver = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { MaxDatagramSize = 100, LoggerFactory = loggerFactory });
        await using var sender = DatagramTestHelpers.BindLoopback();
        var big = TestServers.RandomBytes(1000, seed: 1);

        await sender.SendToAsync(big, receiver.LocalEndPoint, ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        received.IsTruncated.Should().BeTrue();
        received.Payload.Should().Equal(big.Take(100));
        receiver.DatagramsTruncated.Should().Be(1);
        var log = collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 503).Which;
        log.Level.Should().Be(LogLevel.Debug);
        log.Message.Should().Contain(sender.LocalEndPoint.ToString()).And.Contain("100 bytes");
    }

    [Theory]
    [InlineData(100)]
    [InlineData(99)]
    [InlineData(0)]
    public async Task Receive_DatagramAtOrUnderMaxDatagramSize_NotTruncated(int size)
    {
        var ct = TestServers.Timeout();
        await using var receiver = DatagramTestHelpers.BindLoopback(new UdpEndpointOptions { MaxDatagramSize = 100 });
        await using var sender = DatagramTestHelpers.BindLoopback();
        var payload = TestServers.RandomBytes(size, seed: size);

        await sender.SendToAsync(payload, receiver.LocalEndPoint, ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        received.IsTruncated.Should().BeFalse();
        received.Payload.Should().Equal(payload);
        receiver.DatagramsTruncated.Should().Be(0);
    }

    [Fact]
    public async Task Receive_LargestIPv4DatagramWithDefaultMax_NotTruncated()
    {
        var ct = TestServers.Timeout();
        await using var receiver = DatagramTestHelpers.BindLoopback();
        await using var sender = DatagramTestHelpers.BindLoopback();

        await sender.SendToAsync(new byte[UdpEndpointOptions.MaxIPv4DatagramSize], receiver.LocalEndPoint, ct);
        var received = await DatagramTestHelpers.ReceiveOneAsync(receiver, ct);

        received.IsTruncated.Should().BeFalse();
        received.Payload.Length.Should().Be(UdpEndpointOptions.MaxIPv4DatagramSize);
    }
}
