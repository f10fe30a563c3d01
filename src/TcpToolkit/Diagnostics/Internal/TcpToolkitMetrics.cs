using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace TcpToolkit.Diagnostics.Internal;

/// <summary>
/// The core package's instruments on one <c>TcpToolkit</c> meter: one object per <see cref="IMeterFactory"/> (a
/// host's container), cached, and one for the process-wide meter used when no factory is given. Instruments are
/// created once, here; servers, clients and middleware record on them through <see cref="Server"/>,
/// <see cref="Client"/> and each connection's <see cref="ConnectionTelemetry"/>.
/// </summary>
internal sealed class TcpToolkitMetrics
{
    /// <summary>The package's version, for the meter and the activity source.</summary>
    public static readonly string? Version = typeof(TcpToolkitMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    private static readonly ConditionalWeakTable<IMeterFactory, TcpToolkitMetrics> ByFactory = [];
    private static readonly Lazy<TcpToolkitMetrics> Shared = new(() => new TcpToolkitMetrics(new Meter(Options())));

    private readonly Lock _poolsLock = new();
    private readonly List<(IMemoryPoolStatistics Pool, KeyValuePair<string, object?> Owner)> _pools = [];
    private readonly Dictionary<string, (long Allocated, long Evicted)> _releasedPools = [];

    private TcpToolkitMetrics(Meter meter)
    {
        Meter = meter;
        Server = new SideMetrics(meter, isServer: true);
        Client = new SideMetrics(meter, isServer: false);
        meter.CreateObservableUpDownCounter<long>(
            "tcptoolkit.memory_pool.pooled", () => ObservePools(p => p.PooledBytes, released: null), "By", "Bytes of free blocks the pinned-block pools hold for reuse.");
        meter.CreateObservableUpDownCounter<long>(
            "tcptoolkit.memory_pool.rented", () => ObservePools(p => p.RentedBytes, released: null), "By", "Bytes of blocks rented out now: what the connections' pipes hold.");
        meter.CreateObservableCounter<long>(
            "tcptoolkit.memory_pool.allocated", () => ObservePools(p => p.AllocatedBytes, static r => r.Allocated), "By", "Bytes of blocks the pools have allocated.");
        meter.CreateObservableCounter<long>(
            "tcptoolkit.memory_pool.evicted", () => ObservePools(p => p.EvictedBytes, static r => r.Evicted), "By", "Bytes of idle free blocks the pools have released to the GC.");
    }

    /// <summary>Gets the meter every instrument is on.</summary>
    public Meter Meter { get; }

    /// <summary>Gets the <c>tcptoolkit.server.*</c> instruments.</summary>
    public SideMetrics Server { get; }

    /// <summary>Gets the <c>tcptoolkit.client.*</c> instruments.</summary>
    public SideMetrics Client { get; }

    /// <summary>
    /// Gets the instruments on <paramref name="factory"/>'s <c>TcpToolkit</c> meter, or on the process-wide one when
    /// <paramref name="factory"/> is <see langword="null"/>. One object per factory: the instruments are made once.
    /// </summary>
    public static TcpToolkitMetrics For(IMeterFactory? factory)
        => factory is null ? Shared.Value : ByFactory.GetValue(factory, static f => new TcpToolkitMetrics(f.Create(Options())));

    /// <summary>Adds a pool to the <c>tcptoolkit.memory_pool.*</c> figures, once, with its owner (<c>server</c>, <c>client</c>).</summary>
    public void AddPool(IMemoryPoolStatistics pool, string owner)
    {
        lock (_poolsLock)
        {
            if (!_pools.Exists(p => ReferenceEquals(p.Pool, pool)))
            {
                _pools.Add((pool, new KeyValuePair<string, object?>(TelemetryTags.MemoryPoolOwner, owner)));
            }
        }
    }

    /// <summary>Removes a pool being disposed; what it allocated and evicted stays in the totals (they are counters).</summary>
    public void RemovePool(IMemoryPoolStatistics pool)
    {
        lock (_poolsLock)
        {
            var index = _pools.FindIndex(p => ReferenceEquals(p.Pool, pool));
            if (index < 0)
            {
                return;
            }

            var owner = (string)_pools[index].Owner.Value!;
            var released = _releasedPools.GetValueOrDefault(owner);
            _releasedPools[owner] = (released.Allocated + pool.AllocatedBytes, released.Evicted + pool.EvictedBytes);
            _pools.RemoveAt(index);
        }
    }

    private static MeterOptions Options() => new(TcpToolkitTelemetry.MeterName) { Version = Version };

    private List<Measurement<long>> ObservePools(Func<IMemoryPoolStatistics, long> figure, Func<(long Allocated, long Evicted), long>? released)
    {
        var sums = new Dictionary<string, long>();
        lock (_poolsLock)
        {
            foreach (var (pool, owner) in _pools)
            {
                var name = (string)owner.Value!;
                sums[name] = sums.GetValueOrDefault(name) + figure(pool);
            }

            if (released is not null)
            {
                foreach (var (owner, totals) in _releasedPools)
                {
                    sums[owner] = sums.GetValueOrDefault(owner) + released(totals);
                }
            }
        }

        var measurements = new List<Measurement<long>>(sums.Count);
        foreach (var (owner, value) in sums)
        {
            measurements.Add(new(value, new KeyValuePair<string, object?>(TelemetryTags.MemoryPoolOwner, owner)));
        }

        return measurements;
    }
}
