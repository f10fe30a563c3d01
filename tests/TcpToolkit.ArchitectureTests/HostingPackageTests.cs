using System.Reflection;
using OpenTelemetry.Metrics;
using TcpToolkit.Hosting;
using TcpToolkit.Redis;

namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// TcpToolkit.Hosting and TcpToolkit.OpenTelemetry sit above everything and nothing uses them: the core, messaging and
/// Redis packages never reference them (so an application without a host pulls in no Microsoft.Extensions.Hosting and
/// no OpenTelemetry), they use the core through its public API only, and their public types are where users look:
/// the package's namespace, or the framework's convention for extension methods.
/// </summary>
public sealed class HostingPackageTests
{
    private static readonly Assembly s_hosting = typeof(HostedTcpServer).Assembly;
    private static readonly Assembly s_openTelemetry = typeof(TcpToolkitMeterProviderBuilderExtensions).Assembly;

    [Fact]
    public void NoOtherPackage_ReferencesHostingOrOpenTelemetry()
    {
        Assembly[] lower = [Rooms.Core, Rooms.MessagingPackage, typeof(RedisSessionBackplane).Assembly];

        var references = lower.SelectMany(a => a.GetReferencedAssemblies().Select(r => a.GetName().Name + " -> " + r.Name));

        references.Should().NotContain(r => r.EndsWith("-> TcpToolkit.Hosting", StringComparison.Ordinal)
            || r.EndsWith("-> TcpToolkit.OpenTelemetry", StringComparison.Ordinal)
            || r.EndsWith("-> Microsoft.Extensions.Hosting.Abstractions", StringComparison.Ordinal)
            || r.EndsWith("-> OpenTelemetry.Api", StringComparison.Ordinal));
    }

    [Fact]
    public void Hosting_StandsOnTheCoreAlone()
    {
        var tcpToolkit = s_hosting.GetReferencedAssemblies().Select(r => r.Name).Where(n => n!.StartsWith("TcpToolkit", StringComparison.Ordinal));

        tcpToolkit.Should().Equal("TcpToolkit");
        Rooms.Core.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
            .Should().NotContain(a => a.AssemblyName.StartsWith("TcpToolkit.Hosting", StringComparison.Ordinal), "the hosting package uses the core's public API only");
    }

    [Fact]
    public void OpenTelemetry_StandsOnTheCoreAndTheApiAlone()
    {
        var references = s_openTelemetry.GetReferencedAssemblies().Select(r => r.Name)
            .Where(n => n!.StartsWith("TcpToolkit", StringComparison.Ordinal) || n.StartsWith("OpenTelemetry", StringComparison.Ordinal));

        // The core's names are constants compiled in, so the core may not even be referenced at run time.
        references.Should().Contain("OpenTelemetry.Api").And.BeSubsetOf(["TcpToolkit", "OpenTelemetry.Api"]);
    }

    [Fact]
    public void PublicTypes_LiveInThePackagesNamespaceOrTheExtensionConventions()
    {
        s_hosting.GetExportedTypes().Where(t => t.Namespace != "TcpToolkit.Hosting")
            .Should().OnlyContain(t => t.Namespace == "Microsoft.Extensions.DependencyInjection" && t.IsAbstract && t.IsSealed, "only the AddX extension classes sit in the DI namespace");
        s_openTelemetry.GetExportedTypes()
            .Should().OnlyContain(t => (t.Namespace == "OpenTelemetry.Metrics" || t.Namespace == "OpenTelemetry.Trace") && t.IsAbstract && t.IsSealed);
    }
}
