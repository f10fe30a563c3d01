using System.Reflection;
using TcpToolkit.Connections;
using TcpToolkit.Messaging;

namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// A room: a namespace of the core or messaging package (with its sub-namespaces, such as <c>.Internal</c>) and the
/// rooms it may use. Arrows only point down.
/// </summary>
/// <param name="Name">The room's short name, for test names and messages.</param>
/// <param name="MayUse">The rooms this one may depend on, besides itself.</param>
public sealed record Room(string Name, params string[] MayUse)
{
    /// <summary>Gets the room's namespace: <c>TcpToolkit.</c> and its name.</summary>
    public string Namespace => "TcpToolkit." + Name;

    /// <summary>Gets whether <paramref name="ns"/> is this room's namespace or one of its sub-namespaces.</summary>
    public bool Contains(string? ns) => ns is not null && (ns == Namespace || ns.StartsWith(Namespace + ".", StringComparison.Ordinal));

    /// <summary>Gets a NetArchTest namespace pattern for the room and its sub-namespaces.</summary>
    public string NamespacePattern => "^" + System.Text.RegularExpressions.Regex.Escape(Namespace) + @"(\.|$)";

    /// <summary>Gets every room that is neither this one nor one it may use.</summary>
    public IEnumerable<Room> Forbidden => Rooms.All.Where(r => r != this && !MayUse.Contains(r.Name));

    public override string ToString() => Name;
}

/// <summary>
/// The house (STYLE.md §2): Diagnostics (the meter and activity source names and instruments) is the floor every room
/// but Datagrams may record on, and uses nothing; Connections is the seam and uses nothing else; Transport and InMemory stand on it; Framing
/// stands on it; Protocol on Framing; the middleware rooms (Tls, Proxy) on Connections only (they work over any
/// transport, the in-memory one included), never on a codec; Sessions (registry, groups, broadcast) on Connections and Framing (it broadcasts frames
/// of any codec), never on a transport; Datagrams (UDP) stands alone; Messaging is the top and may use everything.
/// Rooms that do not exist yet (InMemory, Tls, Proxy, Datagrams) hold their rule already, so the first type put in
/// one meets it. A new room is an architecture decision: add it here with its arrows.
/// </summary>
public static class Rooms
{
    public static readonly Room Diagnostics = new("Diagnostics");
    public static readonly Room Connections = new("Connections", "Diagnostics");
    public static readonly Room Transport = new("Transport", "Diagnostics", "Connections");
    public static readonly Room InMemory = new("InMemory", "Diagnostics", "Connections");
    public static readonly Room Framing = new("Framing", "Diagnostics", "Connections");
    public static readonly Room Protocol = new("Protocol", "Diagnostics", "Framing", "Connections");
    public static readonly Room Tls = new("Tls", "Diagnostics", "Connections");
    public static readonly Room Proxy = new("Proxy", "Diagnostics", "Connections");
    public static readonly Room Sessions = new("Sessions", "Diagnostics", "Connections", "Framing");
    public static readonly Room Datagrams = new("Datagrams");
    public static readonly Room Messaging = new(
        "Messaging", "Diagnostics", "Connections", "Transport", "InMemory", "Framing", "Protocol", "Tls", "Proxy", "Sessions", "Datagrams");

    public static IReadOnlyList<Room> All { get; } =
        [Diagnostics, Connections, Transport, InMemory, Framing, Protocol, Tls, Proxy, Sessions, Datagrams, Messaging];

    /// <summary>Gets the core package's assembly.</summary>
    public static Assembly Core { get; } = typeof(CloseReason).Assembly;

    /// <summary>Gets the messaging package's assembly.</summary>
    public static Assembly MessagingPackage { get; } = typeof(MessageServer).Assembly;

    /// <summary>Gets both packages' assemblies: every rule looks at the two together.</summary>
    public static IReadOnlyList<Assembly> Assemblies { get; } = [Core, MessagingPackage];

    public static Room ByName(string name) => All.Single(r => r.Name == name);

    /// <summary>Gets the room that <paramref name="ns"/> belongs to, or <see langword="null"/>.</summary>
    public static Room? Of(string? ns) => All.SingleOrDefault(r => r.Contains(ns));
}
