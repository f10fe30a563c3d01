using TcpToolkit.Proxy;

namespace TcpToolkit.Hosting;

/// <summary>
/// The PROXY protocol settings of a hosted TCP server (<c>TcpServer:ProxyProtocol</c>): when enabled, every endpoint of
/// the server requires a header from a trusted proxy (the <c>UseProxyProtocol</c> middleware, first, before TLS). Run
/// direct clients on another server (<c>AddTcpServer("Direct")</c>) rather than on a balancer's endpoint.
/// </summary>
public sealed class TcpServerProxyProtocolSettings
{
    private static readonly ProxyProtocolOptions s_defaults = new();

    /// <summary>Gets or sets whether every connection must start with a PROXY protocol header. Defaults to <see langword="false"/>.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Gets the networks of the proxies that may send a header, in CIDR notation (<c>10.0.0.0/24</c>,
    /// <c>fd00::/8</c>, <c>192.0.2.7/32</c>). When any are given they replace the default (the loopback networks), so
    /// list <c>127.0.0.0/8</c> too if a local proxy connects. Empty by default: loopback only.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>Gets or sets <see cref="ProxyProtocolOptions.TrustUnixDomainSocketPeers"/>. Defaults to <see langword="false"/>.</summary>
    public bool TrustUnixDomainSocketPeers { get; set; } = s_defaults.TrustUnixDomainSocketPeers;

    /// <summary>Gets or sets <see cref="ProxyProtocolOptions.MaxHeaderSize"/>, in bytes (232 to 65,551). Defaults to 4,096.</summary>
    public int MaxHeaderSize { get; set; } = s_defaults.MaxHeaderSize;

    /// <summary>Gets or sets <see cref="ProxyProtocolOptions.HeaderTimeout"/>. Defaults to 5 seconds; <see langword="null"/> waits without a limit.</summary>
    public TimeSpan? HeaderTimeout { get; set; } = s_defaults.HeaderTimeout;
}
