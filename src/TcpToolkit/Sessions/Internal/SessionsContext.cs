using Microsoft.Extensions.Logging;

namespace TcpToolkit.Sessions.Internal;

/// <summary>What a registry's sessions share: options, logger, frame pool and the registry's counters.</summary>
internal sealed class SessionsContext(SessionRegistryOptions options, ILogger logger)
{
    private long _dropped;
    private long _disconnected;

    public SessionRegistryOptions Options { get; } = options;

    public ILogger Logger { get; } = logger;

    public SharedFramePool Pool { get; } = new();

    public long Dropped => Volatile.Read(ref _dropped);

    public long Disconnected => Volatile.Read(ref _disconnected);

    public void AddDropped(long count) => Interlocked.Add(ref _dropped, count);

    public void AddDisconnected() => Interlocked.Increment(ref _disconnected);
}
