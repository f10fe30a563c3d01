namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>The instrument names the README documents, spelled once for the tests.</summary>
internal static class Names
{
    public const string ServerConnectionActive = "tcptoolkit.server.connection.active";
    public const string ServerConnectionDuration = "tcptoolkit.server.connection.duration";
    public const string RejectedConnections = "tcptoolkit.server.rejected_connections";
    public const string ServerTlsHandshakeDuration = "tcptoolkit.server.tls_handshake.duration";
    public const string ServerTlsHandshakeActive = "tcptoolkit.server.tls_handshake.active";
    public const string ServerIo = "tcptoolkit.server.io";
    public const string ServerFrames = "tcptoolkit.server.frames";
    public const string ServerFrameSize = "tcptoolkit.server.frame.size";
    public const string ServerDecodeErrors = "tcptoolkit.server.frame.decode_errors";
    public const string ServerBackpressure = "tcptoolkit.server.backpressure.time";
    public const string ClientConnectionActive = "tcptoolkit.client.connection.active";
    public const string ClientConnectionDuration = "tcptoolkit.client.connection.duration";
    public const string ClientConnectDuration = "tcptoolkit.client.connect.duration";
    public const string ClientTlsHandshakeDuration = "tcptoolkit.client.tls_handshake.duration";
    public const string ClientTlsHandshakeActive = "tcptoolkit.client.tls_handshake.active";
    public const string ClientIo = "tcptoolkit.client.io";
    public const string ClientFrames = "tcptoolkit.client.frames";
    public const string ClientFrameSize = "tcptoolkit.client.frame.size";
    public const string ClientDecodeErrors = "tcptoolkit.client.frame.decode_errors";
    public const string ClientBackpressure = "tcptoolkit.client.backpressure.time";
    public const string PoolPooled = "tcptoolkit.memory_pool.pooled";
    public const string PoolRented = "tcptoolkit.memory_pool.rented";
    public const string PoolAllocated = "tcptoolkit.memory_pool.allocated";
    public const string PoolEvicted = "tcptoolkit.memory_pool.evicted";
}
