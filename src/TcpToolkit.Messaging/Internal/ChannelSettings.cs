using Microsoft.Extensions.Logging;

namespace TcpToolkit.Messaging.Internal;

/// <summary>What a <see cref="MessageChannel"/> needs from its endpoint's options, read once per endpoint.</summary>
internal sealed class ChannelSettings
{
    public required bool IsClient { get; init; }

    public required ILogger Logger { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>Gets the largest frame this end accepts (announced in the hello).</summary>
    public required int MaxFrameLength { get; init; }

    /// <summary>Gets how many of the peer's requests this end accepts in flight (announced).</summary>
    public required int MaxIncomingRequests { get; init; }

    /// <summary>Gets the payload bytes of the peer's requests this end holds at most (announced), and the cap of its side output buffer.</summary>
    public required int MaxBufferedBytes { get; init; }

    /// <summary>Gets how many handlers of this connection run at once.</summary>
    public required int MaxConcurrentHandlers { get; init; }

    /// <summary>Gets this end's own cap on its requests in flight (the peer's announced limit caps it further).</summary>
    public required int MaxOutgoingRequests { get; init; }

    /// <summary>Gets the client's heartbeat interval; on a server, the interval announced to clients (0: none).</summary>
    public TimeSpan? PingInterval { get; init; }

    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets how long the hello exchange may take before the connection is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool IncludeExceptionDetails { get; init; }

    public MethodRouter? Router { get; init; }

    public IMessageSerializer? Serializer { get; init; }

    /// <summary>Gets the request/response instruments of this endpoint's meter (issue #14).</summary>
    public MessagingMetrics Metrics { get; init; } = MessagingMetrics.For(null);

    /// <summary>Gets the client's hello metadata (already encoded).</summary>
    public byte[] HelloMetadata { get; init; } = [];

    /// <summary>Gets the version this end sends in its hello (a test seam for the mismatch).</summary>
    public ushort ProtocolVersion { get; init; } = Wire.Version;

    /// <summary>Gets what to call when an answer arrives for a request whose caller gave up.</summary>
    public Action? LateReply { get; init; }

    /// <summary>Gets what to call when a pong arrives (a test seam: tests wait for the heartbeat's round trip).</summary>
    public Action? PongReceived { get; init; }

    /// <summary>Gets the first request id (a test seam for the wrap-around).</summary>
    public ulong FirstRequestId { get; init; } = 1;
}
