using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace TcpToolkit.Benchmarks.Rpc;

/// <summary>
/// <c>rpc --alloc-trace</c>: samples the runtime's AllocationTick events (one per ~100 KB allocated) and prints the types
/// that were allocated, to find what still allocates per request.
/// </summary>
internal sealed class AllocationTrace : EventListener
{
    private readonly ConcurrentDictionary<string, int> _types = new();

    public void Print()
    {
        foreach (var (type, count) in _types.OrderByDescending(p => p.Value).Take(15))
        {
            Console.WriteLine($"  alloc-trace {count,6} x ~100 KB  {type}");
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && eventData.Payload is { } payload)
        {
            var index = eventData.PayloadNames!.IndexOf("TypeName");
            if (index >= 0)
            {
                _types.AddOrUpdate(payload[index]?.ToString() ?? "?", 1, (_, n) => n + 1);
            }
        }
    }
}
