namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// Inside the Transport room: the public facade (TcpServer, TcpClient, TcpConnection) sits over Internal/, which
/// picks a socket engine, .NET's or the epoll one in Internal/Epoll/. The facade may use its internals; the internals
/// may take the room's public values (options, MinDataRate) but never call back into the facade; the epoll engine
/// knows only the engine seam it implements.
/// </summary>
public sealed class TransportFolderTests
{
    private const string Epoll = "TcpToolkit.Transport.Internal.Epoll";
    private const string EngineSeam = "TcpToolkit.Transport.Internal.SocketIO";

    private static readonly string[] s_facade =
        ["TcpToolkit.Transport.TcpServer", "TcpToolkit.Transport.TcpClient", "TcpToolkit.Transport.TcpConnection"];

    [Fact]
    public void TransportInternalEpoll_UsesNoPublicTransportType()
    {
        string[] publicTransport = [.. TopLevelTypes().Where(t => t.Namespace == Rooms.Transport.Namespace).Select(t => t.FullName!)];

        Dependencies.Find(Pattern(Epoll), publicTransport).ShouldBeNone("the epoll engine is below the public transport types");
    }

    [Fact]
    public void TransportInternalEpoll_UsesNothingOfTcpToolkitButTheEngineSeam()
    {
        // Epoll -> SocketIO is the one edge back to Internal (EpollSocketIO implements it); Internal -> Epoll is the
        // engine choice in SocketIO. No connection, pipe, pool, log or option type of TcpToolkit reaches the engine; the
        // seam's own exceptions (Connections, the bottom room) may.
        string[] others = [.. TopLevelTypes().Where(t => t.Namespace != Epoll && t.FullName != EngineSeam && t.Namespace != Rooms.Connections.Namespace).Select(t => t.FullName!)];

        Dependencies.Find(Pattern(Epoll), others).ShouldBeNone($"the epoll engine may use only {EngineSeam} and the Connections room");
    }

    [Fact]
    public void TransportInternal_NeverUsesTheFacade()
    {
        Dependencies.Find(@"^TcpToolkit\.Transport\.Internal(\.|$)", s_facade).ShouldBeNone(
            "the facade uses its internals, never the other way round (they may take public values such as options and MinDataRate)");
    }

    private static IEnumerable<Type> TopLevelTypes() => Dependencies.AllTypes
        .Where(t => !t.IsNested && t.Namespace is not null && t.Namespace.StartsWith("TcpToolkit", StringComparison.Ordinal))
        .DistinctBy(t => t.FullName);

    private static string Pattern(string ns) => "^" + System.Text.RegularExpressions.Regex.Escape(ns) + "$";
}
