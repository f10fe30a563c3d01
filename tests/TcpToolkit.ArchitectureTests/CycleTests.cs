using System.Text.RegularExpressions;

namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// No folder (namespace) uses another in a circle, once the two sanctioned back edges are taken out: a sub-namespace
/// using its enclosing room's public types as data (Transport.Internal takes MinDataRate; Framing.Internal names
/// FrameRecoveryPolicy), and the epoll engine implementing the engine seam (Internal/Epoll -> Internal's SocketIO,
/// while SocketIO picks the engine).
/// </summary>
public sealed class CycleTests(ITestOutputHelper output)
{
    private const string EngineSeamEdge = "-> TcpToolkit.Transport.Internal.SocketIO";

    [Fact]
    public void Namespaces_UseEachOtherInNoCircle_ButTheSanctionedBackEdges()
    {
        Dictionary<(string From, string To), IReadOnlyList<string>> graph = NamespaceGraph();
        var sanctioned = graph.Where(e => IsSanctioned(e.Key, e.Value)).ToList();
        foreach (var edge in sanctioned)
        {
            output.WriteLine($"sanctioned back edge {edge.Key.From} -> {edge.Key.To}: {string.Join("; ", edge.Value)}");
        }

        var remaining = graph.Where(e => !IsSanctioned(e.Key, e.Value)).ToDictionary(e => e.Key, e => e.Value);
        List<string> cycles = FindCycles(remaining);

        cycles.ShouldBeNone("arrows only point down, between rooms and between a room's folders");
    }

    /// <summary>Every namespace-to-namespace use in both packages, with the type edges behind it.</summary>
    private static Dictionary<(string From, string To), IReadOnlyList<string>> NamespaceGraph()
    {
        var byNamespace = Dependencies.AllTypes
            .Where(t => !t.IsNested && t.Namespace is not null && t.Namespace.StartsWith("TcpToolkit", StringComparison.Ordinal))
            .GroupBy(t => t.Namespace!)
            .ToDictionary(g => g.Key, g => g.Select(t => t.FullName!).Distinct().ToArray());
        var graph = new Dictionary<(string, string), IReadOnlyList<string>>();
        foreach (string from in byNamespace.Keys)
        {
            foreach (string to in byNamespace.Keys.Where(n => n != from))
            {
                IReadOnlyList<string> edges = Dependencies.Find("^" + Regex.Escape(from) + "$", byNamespace[to]);
                if (edges.Count > 0)
                {
                    graph[(from, to)] = edges;
                }
            }
        }

        return graph;
    }

    private static bool IsSanctioned((string From, string To) edge, IReadOnlyList<string> typeEdges) =>
        edge.From.StartsWith(edge.To + ".", StringComparison.Ordinal)
        || (edge is ("TcpToolkit.Transport.Internal.Epoll", "TcpToolkit.Transport.Internal")
            && typeEdges.All(e => e.EndsWith(EngineSeamEdge, StringComparison.Ordinal)));

    /// <summary>The first type edges behind a namespace edge, enough to find it.</summary>
    private static string Some(IReadOnlyList<string> typeEdges) =>
        string.Join("; ", typeEdges.Take(2)) + (typeEdges.Count > 2 ? $"; and {typeEdges.Count - 2} more" : string.Empty);

    /// <summary>Each cycle as "A -> B -> A" with the type edges of each step, found by depth-first search.</summary>
    private static List<string> FindCycles(Dictionary<(string From, string To), IReadOnlyList<string>> graph)
    {
        var next = graph.Keys.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        var cycles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string start in next.Keys)
        {
            Walk(start, [start]);
        }

        return [.. cycles];

        void Walk(string at, List<string> path)
        {
            foreach (string to in next.GetValueOrDefault(at) ?? [])
            {
                if (to == path[0])
                {
                    // Every other namespace on the path sorts after the start: each cycle is found once, from its smallest.
                    List<string> cycle = [.. path, to];
                    IEnumerable<string> steps = cycle.Zip(cycle.Skip(1), (a, b) => $"[{a} -> {b}: {Some(graph[(a, b)])}]");
                    cycles.Add(string.Join(" -> ", cycle) + " " + string.Join(" ", steps));
                }
                else if (!path.Contains(to) && string.CompareOrdinal(to, path[0]) > 0)
                {
                    Walk(to, [.. path, to]);
                }
            }
        }
    }
}
