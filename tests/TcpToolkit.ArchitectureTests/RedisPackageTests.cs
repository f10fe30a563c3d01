using NetArchTest.Rules;
using TcpToolkit.Redis;

namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// The TcpToolkit.Redis package implements the sessions' backplane seam and nothing else of the core: it stands on
/// <c>TcpToolkit.Sessions</c> (ISessionBackplane) only, so the core never needs a Redis client and Redis never reaches
/// into a transport, a codec or a connection.
/// </summary>
public sealed class RedisPackageTests
{
    [Fact]
    public void Redis_UsesOnlyTheSessionsRoomOfTheCore()
    {
        string[] forbidden = [.. Rooms.All.Where(r => r != Rooms.Sessions).Select(r => r.Namespace)];

        var result = Types.InAssembly(typeof(RedisSessionBackplane).Assembly)
            .That().ResideInNamespaceStartingWith("TcpToolkit.Redis")
            .ShouldNot().HaveDependencyOnAny(forbidden)
            .GetResult();

        (result.FailingTypeNames ?? []).Should().BeEmpty($"TcpToolkit.Redis may use only {Rooms.Sessions.Namespace} of the core (never {string.Join(", ", forbidden)})");
    }

    [Fact]
    public void Redis_EveryPublicTypeLivesInTheRedisNamespace()
    {
        typeof(RedisSessionBackplane).Assembly.GetExportedTypes().Select(t => t.Namespace).Distinct().Should().Equal("TcpToolkit.Redis");
    }
}
