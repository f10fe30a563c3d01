using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Connections;
using TcpToolkit.Connections.Internal;

namespace TcpToolkit.Transport;

/// <summary>
/// The settings every connection has, on a server (<see cref="TcpServerOptions"/>) or a client
/// (<see cref="TcpClientOptions"/>). Limits use <see langword="null"/> for unlimited and nothing else; every setter
/// validates. Unlimited buffers let a peer that floods, or never reads, grow memory without bound.
/// </summary>
public abstract class TcpConnectionOptions
{
    private long? _maxReadBufferSize = 1024 * 1024;
    private long? _maxWriteBufferSize = 64 * 1024;
    private TimeSpan _closeTimeout = TimeSpan.FromSeconds(5);
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>Initializes the defaults.</summary>
    private protected TcpConnectionOptions()
    {
    }

    /// <summary>
    /// Gets or sets whether connections use .NET's socket engine where TcpToolkit's epoll engine would run (Linux).
    /// Internal: tests run the transport suite on both engines; applications switch process-wide with the
    /// <c>TcpToolkit.UseDotNetSocketEngine</c> AppContext switch.
    /// </summary>
    internal bool UseDotNetSocketEngine { get; set; }

    /// <summary>
    /// Gets the connection middleware every connection runs through, outermost first (see
    /// <see cref="ConnectionBuilder"/>): on a server around the handler, on a client between the connect and the
    /// return of <c>ConnectAsync</c> (the connection is returned when the pipeline reaches its end, and the pipeline
    /// unwinds when the connection closes). Empty by default.
    /// </summary>
    public ConnectionBuilder Middleware { get; } = new();

    /// <summary>Gets or sets whether Nagle's algorithm is disabled on TCP sockets. Defaults to <see langword="true"/>.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>
    /// Gets or sets how many received bytes a connection buffers before it stops reading from the socket until the
    /// application catches up (it resumes at half): TCP backpressure to the peer. Defaults to 1 MiB, as Kestrel.
    /// <see langword="null"/> is unlimited, which lets a fast sender grow memory without bound. The pooled blocks
    /// behind the buffered bytes are at least half full, so the memory held is at most about twice this size.
    /// </summary>
    public long? MaxReadBufferSize
    {
        get => _maxReadBufferSize;
        set => _maxReadBufferSize = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how many bytes may wait to be sent before a flush waits for the peer to read (it resumes at
    /// half). Defaults to 64 KiB, as Kestrel. <see langword="null"/> is unlimited, which lets a peer that never
    /// reads grow memory without bound.
    /// </summary>
    public long? MaxWriteBufferSize
    {
        get => _maxWriteBufferSize;
        set => _maxWriteBufferSize = OptionGuards.PositiveOrNull(value, nameof(value));
    }

    /// <summary>
    /// Gets or sets how long a graceful close waits for pending output to drain before it aborts the connection.
    /// Defaults to 5 seconds.
    /// </summary>
    public TimeSpan CloseTimeout
    {
        get => _closeTimeout;
        set => _closeTimeout = OptionGuards.Positive(value, nameof(value));
    }

    /// <summary>Gets or sets the logger factory. Defaults to <see cref="NullLoggerFactory.Instance"/> (no logging).</summary>
    public ILoggerFactory LoggerFactory
    {
        get => _loggerFactory;
        set => _loggerFactory = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Gets or sets the factory of the <c>TcpToolkit</c> meter (see <see cref="Diagnostics.TcpToolkitTelemetry"/>).
    /// Defaults to <see langword="null"/>: one process-wide meter of that name. A host passes its DI container's
    /// factory so the meter's lifetime and tags follow the container's.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Gets or sets whether frame readers and writers over these connections record each frame's size in the
    /// <c>tcptoolkit.*.frame.size</c> histogram. Defaults to <see langword="false"/>: a histogram measurement per
    /// frame costs about 30 ns with a bare <see cref="MeterListener"/> and 75 ns under the OpenTelemetry SDK, twice per
    /// echoed message, well over the few percent the other instruments cost (frames are still counted in
    /// <c>tcptoolkit.*.frames</c>, for the price of an increment).
    /// </summary>
    public bool RecordFrameSizes { get; set; }

    /// <summary>Gets or sets the clock for every timeout. Defaults to <see cref="TimeProvider.System"/>; tests use a fake.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }
}
