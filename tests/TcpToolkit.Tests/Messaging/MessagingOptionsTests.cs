using TcpToolkit.Messaging;

namespace TcpToolkit.Tests.Messaging;

/// <summary>Messaging options: documented defaults and validating setters (null means none or unlimited, nothing else).</summary>
public sealed class MessagingOptionsTests
{
    [Fact]
    public void MessageClientOptions_Defaults_AreTheDocumentedOnes()
    {
        var options = new MessageClientOptions();

        options.RequestTimeout.Should().Be(TimeSpan.FromSeconds(30));
        options.MaxInFlightRequests.Should().Be(100);
        options.MaxFrameLength.Should().Be(1024 * 1024);
        options.ReconnectInitialDelay.Should().Be(TimeSpan.FromMilliseconds(100));
        options.ReconnectMaxDelay.Should().Be(TimeSpan.FromSeconds(30));
        options.MaxReconnectAttempts.Should().BeNull();
        options.HeartbeatInterval.Should().Be(TimeSpan.FromSeconds(15));
        options.HeartbeatTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.OneWayQueueCapacity.Should().Be(0);
        options.HandshakeTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.Handler.Should().BeNull();
        options.Connected.Should().BeNull();
        options.HelloMetadata.Should().BeNull();
        options.Serializer.Should().BeNull();
        options.ConnectionFactory.Should().BeNull("null: the client opens TCP connections with Transport");
        options.Transport.TimeProvider.Should().BeSameAs(TimeProvider.System, "the client's one clock is the transport's");
    }

    [Fact]
    public void MessageClientOptions_InvalidValues_Throw()
    {
        var options = new MessageClientOptions();

        ((Action)(() => options.RequestTimeout = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxInFlightRequests = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxFrameLength = 255)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.HandshakeTimeout = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.ReconnectInitialDelay = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.ReconnectMaxDelay = TimeSpan.FromSeconds(-1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxReconnectAttempts = -1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.HeartbeatInterval = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.HeartbeatTimeout = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.OneWayQueueCapacity = -1)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.JitterSource = null!)).Should().Throw<ArgumentNullException>();
        ((Action)(() => options.Transport = null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void MessageClientOptions_NullMeansNone_IsAccepted()
    {
        var options = new MessageClientOptions { RequestTimeout = null, HeartbeatInterval = null, MaxReconnectAttempts = null };

        options.RequestTimeout.Should().BeNull();
        options.HeartbeatInterval.Should().BeNull();
        options.MaxReconnectAttempts.Should().BeNull();
    }

    [Fact]
    public void MessageServerOptions_DefaultsAndValidation_AsDocumented()
    {
        var options = new MessageServerOptions();

        options.MaxConcurrentRequestsPerConnection.Should().Be(1);
        options.MaxRequestsInFlightPerConnection.Should().Be(128);
        options.MaxBufferedBytesPerConnection.Should().Be(4 * 1024 * 1024);
        options.MaxFrameLength.Should().Be(1024 * 1024);
        options.ClientPingInterval.Should().BeNull();
        options.HandshakeTimeout.Should().Be(TimeSpan.FromSeconds(10));
        options.IncludeExceptionDetails.Should().BeFalse();
        options.Serializer.Should().BeNull();
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
        ((Action)(() => options.MaxConcurrentRequestsPerConnection = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxRequestsInFlightPerConnection = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxBufferedBytesPerConnection = 0)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.MaxFrameLength = 255)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.ClientPingInterval = TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => options.TimeProvider = null!)).Should().Throw<ArgumentNullException>();
    }
}
