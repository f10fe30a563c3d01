namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// Arrows only point down: each room of the two packages uses only the rooms below it (<see cref="Rooms"/>).
/// A failure lists every <c>Type -&gt; Dependency</c> edge that breaks the rule.
/// </summary>
public sealed class RoomTests
{
    [Fact]
    public void Rooms_ArrowsOnlyPointDown_TheTableHasNoCycle()
    {
        // A room may only use rooms listed before it: the table itself is in layer order, so it cannot hold a cycle.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Room room in Rooms.All.Where(r => r != Rooms.Datagrams && r != Rooms.Messaging))
        {
            room.MayUse.Where(used => !seen.Contains(used)).Should().BeEmpty($"{room} may only use rooms listed before it");
            seen.Add(room.Name);
        }

        Rooms.Datagrams.MayUse.Should().BeEmpty("UDP stands alone");
        Rooms.Messaging.MayUse.Should().BeEquivalentTo(Rooms.All.Where(r => r != Rooms.Messaging).Select(r => r.Name), "Messaging is the top");
        Rooms.All.Should().NotContain(r => r != Rooms.Messaging && r.MayUse.Contains(Rooms.Messaging.Name), "nothing uses Messaging");
    }

    [Fact]
    public void Diagnostics_UsesNoOtherRoom() => Violations(Rooms.Diagnostics).ShouldBeNone(Because(Rooms.Diagnostics));

    [Fact]
    public void Connections_UsesOnlyDiagnostics() => Violations(Rooms.Connections).ShouldBeNone(Because(Rooms.Connections));

    [Fact]
    public void Transport_UsesOnlyConnections() => Violations(Rooms.Transport).ShouldBeNone(Because(Rooms.Transport));

    [Fact]
    public void InMemory_UsesOnlyConnections() => Violations(Rooms.InMemory).ShouldBeNone(Because(Rooms.InMemory));

    [Fact]
    public void Framing_UsesOnlyConnections() => Violations(Rooms.Framing).ShouldBeNone(Because(Rooms.Framing));

    [Fact]
    public void Protocol_UsesOnlyFramingAndConnections() => Violations(Rooms.Protocol).ShouldBeNone(Because(Rooms.Protocol));

    [Fact]
    public void Tls_UsesOnlyConnections() => Violations(Rooms.Tls).ShouldBeNone(Because(Rooms.Tls));

    [Fact]
    public void Proxy_UsesOnlyConnections() => Violations(Rooms.Proxy).ShouldBeNone(Because(Rooms.Proxy));

    [Fact]
    public void Sessions_UsesOnlyConnectionsAndFraming() => Violations(Rooms.Sessions).ShouldBeNone(Because(Rooms.Sessions));

    [Fact]
    public void Datagrams_UsesNoOtherRoom() => Violations(Rooms.Datagrams).ShouldBeNone(Because(Rooms.Datagrams));

    private static IReadOnlyList<string> Violations(Room room) =>
        Dependencies.Find(room.NamespacePattern, [.. room.Forbidden.Select(r => r.Namespace)]);

    private static string Because(Room room) => room.MayUse.Length == 0
        ? $"{room} uses no other room of TcpToolkit"
        : $"{room} may use only {string.Join(", ", room.MayUse)} (never {string.Join(", ", room.Forbidden)})";
}
