using TcpToolkit.Transport;

namespace TcpToolkit.Hosting;

/// <summary>
/// The settings of a hosted TCP server as they appear in configuration (the <c>TcpServer</c> section of
/// <c>appsettings.json</c> by default, see <see cref="TcpServerBuilder.BindConfiguration"/>), validated when the host
/// starts. Each maps onto <see cref="TcpServerOptions"/> (or the TLS and PROXY protocol middleware) and has its
/// default; a JSON <c>null</c> sets a nullable limit to <see langword="null"/>, which means unlimited (or no timeout).
/// </summary>
public sealed class TcpServerSettings
{
    private static readonly TcpServerOptions s_defaults = new();

    /// <summary>
    /// Gets the endpoints to listen on, as strings: <c>127.0.0.1:65432</c>, <c>[::1]:5000</c>, <c>0.0.0.0:5000</c>
    /// (every IPv4 address), <c>*:5000</c> or <c>[::]:5000</c> (every address, IPv4 and IPv6), <c>unix:/run/app.sock</c>
    /// (a Unix domain socket). Port 0 picks a free port (<see cref="HostedTcpServer.LocalEndPoints"/> has it). At least
    /// one is required. Host names are not accepted: a name can resolve to several addresses, or none.
    /// </summary>
    public IList<string> EndPoints { get; } = [];

    /// <summary>Gets or sets <see cref="TcpServerOptions.MaxConnections"/>. Defaults to <see langword="null"/> (unlimited).</summary>
    public int? MaxConnections { get; set; } = s_defaults.MaxConnections;

    /// <summary>Gets or sets <see cref="TcpServerOptions.Backlog"/>. Defaults to the OS maximum.</summary>
    public int Backlog { get; set; } = s_defaults.Backlog;

    /// <summary>Gets or sets <see cref="TcpServerOptions.ReusePort"/> (Linux). Defaults to <see langword="false"/>.</summary>
    public bool ReusePort { get; set; } = s_defaults.ReusePort;

    /// <summary>Gets or sets <see cref="TcpConnectionOptions.NoDelay"/>. Defaults to <see langword="true"/>.</summary>
    public bool NoDelay { get; set; } = s_defaults.NoDelay;

    /// <summary>Gets or sets <see cref="TcpConnectionOptions.MaxReadBufferSize"/>, in bytes. Defaults to 1 MiB.</summary>
    public long? MaxReadBufferSize { get; set; } = s_defaults.MaxReadBufferSize;

    /// <summary>Gets or sets <see cref="TcpConnectionOptions.MaxWriteBufferSize"/>, in bytes. Defaults to 64 KiB.</summary>
    public long? MaxWriteBufferSize { get; set; } = s_defaults.MaxWriteBufferSize;

    /// <summary>Gets or sets <see cref="TcpConnectionOptions.CloseTimeout"/>. Defaults to 5 seconds.</summary>
    public TimeSpan CloseTimeout { get; set; } = s_defaults.CloseTimeout;

    /// <summary>
    /// Gets or sets how long the host's stop lets handlers finish before the server aborts the rest. Defaults to
    /// <see langword="null"/>: until the host's own shutdown timeout (<c>HostOptions.ShutdownTimeout</c>, 30 seconds
    /// by default) ends the stop. A value shorter than the host's ends the drain earlier.
    /// </summary>
    public TimeSpan? ShutdownTimeout { get; set; }

    /// <summary>Gets or sets <see cref="TcpServerOptions.IdleTimeout"/>. Defaults to <see langword="null"/> (none).</summary>
    public TimeSpan? IdleTimeout { get; set; } = s_defaults.IdleTimeout;

    /// <summary>Gets or sets <see cref="TcpServerOptions.FirstByteTimeout"/>. Defaults to <see langword="null"/> (none).</summary>
    public TimeSpan? FirstByteTimeout { get; set; } = s_defaults.FirstByteTimeout;

    /// <summary>Gets or sets <see cref="TcpServerOptions.WriteTimeout"/>. Defaults to 60 seconds.</summary>
    public TimeSpan? WriteTimeout { get; set; } = s_defaults.WriteTimeout;

    /// <summary>
    /// Gets or sets the rate of <see cref="TcpServerOptions.MinReceiveDataRate"/>, in bytes per second. Defaults to
    /// 240; <see langword="null"/> turns the check off.
    /// </summary>
    public double? MinReceiveDataRate { get; set; } = s_defaults.MinReceiveDataRate?.BytesPerSecond;

    /// <summary>Gets or sets the grace period of <see cref="TcpServerOptions.MinReceiveDataRate"/>. Defaults to 5 seconds.</summary>
    public TimeSpan MinReceiveDataRateGracePeriod { get; set; } = s_defaults.MinReceiveDataRate?.GracePeriod ?? TimeSpan.FromSeconds(5);

    /// <summary>Gets the TLS settings (the <c>Tls</c> subsection): TLS is on when a certificate is configured.</summary>
    public TcpServerTlsSettings Tls { get; } = new();

    /// <summary>Gets the PROXY protocol settings (the <c>ProxyProtocol</c> subsection): off unless enabled.</summary>
    public TcpServerProxyProtocolSettings ProxyProtocol { get; } = new();
}
