using System.Text;

namespace TcpToolkit.ArchitectureTests;

/// <summary>Where the packages' types live, and how many the core package makes public (STYLE.md §2: aim ≤ 45).</summary>
public sealed class PublicSurfaceTests(ITestOutputHelper output)
{
    /// <summary>The house's aim for the core package's public types; reported, not enforced (issue #11).</summary>
    private const int AimedPublicTypes = 45;

    [Fact]
    public void Core_EveryPublicTypeLivesInARoomNamespace()
    {
        // Exactly a room's namespace: not the root TcpToolkit, not an .Internal folder, not Messaging (its own package).
        var misplaced = Rooms.Core.GetExportedTypes()
            .Where(t => Rooms.All.SingleOrDefault(r => r.Namespace == t.Namespace) is not { } room || room == Rooms.Messaging)
            .Select(t => t.FullName)
            .ToList();

        string.Join(", ", misplaced).Should().BeEmpty($"public types live in {string.Join(", ", Rooms.All.Where(r => r != Rooms.Messaging).Select(r => r.Namespace))}");
    }

    [Fact]
    public void Core_NoTypeInTheRootNamespace()
    {
        // Internal types too: every type belongs to a room or a folder of one (compiler-emitted helpers aside).
        var homeless = Rooms.Core.GetTypes()
            .Where(t => !IsCompilerEmitted(t) && Rooms.Of(t.Namespace) is null)
            .Select(t => t.FullName)
            .ToList();

        string.Join(", ", homeless).Should().BeEmpty("no type lives in the root TcpToolkit namespace or outside the rooms");
    }

    [Fact]
    public void Messaging_EveryPublicTypeLivesInTheMessagingNamespace()
    {
        Rooms.MessagingPackage.GetExportedTypes().Select(t => t.Namespace).Distinct().Should().Equal(Rooms.Messaging.Namespace);
    }

    [Fact]
    public void Core_PublicTypeCount_IsReported()
    {
        Type[] exported = Rooms.Core.GetExportedTypes();
        var report = new StringBuilder();
        report.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
            $"TcpToolkit (core package): {exported.Length} public types; the house aims for at most {AimedPublicTypes}.");
        foreach (var room in exported.GroupBy(t => t.Namespace).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            report.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"  {room.Key} ({room.Count()}): {string.Join(", ", room.Select(t => t.IsNested ? t.DeclaringType!.Name + "." + t.Name : t.Name).Order(StringComparer.Ordinal))}");
        }

        output.WriteLine(report.ToString());

        // dotnet test hides a passing test's output: the figures also go to a file that .ci/run prints.
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "public-types.txt"), report.ToString());
        exported.Should().NotBeEmpty();
    }

    /// <summary>Types the compiler emits into the assembly (<c>&lt;PrivateImplementationDetails&gt;</c>, embedded attributes).</summary>
    private static bool IsCompilerEmitted(Type type) =>
        type.Name.StartsWith('<')
        || type.Namespace is null
        || type.Namespace.StartsWith("System.", StringComparison.Ordinal)
        || type.Namespace.StartsWith("Microsoft.", StringComparison.Ordinal)
        || (type.IsNested && IsCompilerEmitted(type.DeclaringType!));
}
