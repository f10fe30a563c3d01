using System.Diagnostics.Metrics;

namespace TcpToolkit.Cli.Metrics;

/// <summary>
/// The echo server's own <see cref="IMeterFactory"/> (its <c>TcpServerOptions.MeterFactory</c>): the meters it
/// makes carry it as their <see cref="Meter.Scope"/>, so <see cref="MetricsPrinter"/> tells this server's instruments
/// from another component's <c>TcpToolkit</c> meter in the same process. Like the DI container's factory it hands out
/// one meter per name, version and tags, and disposing it disposes them (which ends their instruments).
/// </summary>
internal sealed class ScopedMeterFactory : IMeterFactory
{
    private readonly Lock _gate = new();
    private readonly List<Meter> _meters = [];
    private bool _disposed;

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Scope is not null && !ReferenceEquals(options.Scope, this))
        {
            throw new InvalidOperationException("The meter options name another scope than this factory.");
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var meter in _meters)
            {
                if (meter.Name == options.Name && meter.Version == options.Version && SameTags(meter.Tags, options.Tags))
                {
                    return meter;
                }
            }

            var created = new Meter(options.Name, options.Version, options.Tags, this);
            _meters.Add(created);
            return created;
        }
    }

    public void Dispose()
    {
        Meter[] meters;
        lock (_gate)
        {
            _disposed = true;
            meters = [.. _meters];
            _meters.Clear();
        }

        foreach (var meter in meters)
        {
            meter.Dispose();
        }
    }

    private static bool SameTags(IEnumerable<KeyValuePair<string, object?>>? a, IEnumerable<KeyValuePair<string, object?>>? b)
    {
        var left = (a ?? []).OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        var right = (b ?? []).OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        return left.Length == right.Length && left.Zip(right).All(p => p.First.Key == p.Second.Key && Equals(p.First.Value, p.Second.Value));
    }
}
