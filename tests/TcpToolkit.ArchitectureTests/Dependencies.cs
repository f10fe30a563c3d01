using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// Finds the dependencies of a set of types on forbidden namespaces or types, as <c>Type -&gt; Dependency</c> edges,
/// so a failing rule names exactly what to fix.
/// </summary>
/// <remarks>
/// NetArchTest reads the IL (signatures, fields, locals, instructions, attributes, and the compiler-generated
/// classes of lambdas and async methods) but only says which types fail, not on what: each failing rule is asked
/// again per forbidden type to name the edges. NetArchTest 1.3.2 also skips <c>catch (T)</c> clauses, which a
/// layer leak can hide in (a transport catching a codec's exception); those are read here with reflection.
/// </remarks>
internal static class Dependencies
{
    private static readonly Types s_types = Types.InAssemblies(Rooms.Assemblies);

    private static readonly Type[] s_allTypes = [.. Rooms.Assemblies.SelectMany(a => a.GetTypes())];

    /// <summary>Gets every type of both packages, nested and compiler-generated ones included.</summary>
    public static IReadOnlyList<Type> AllTypes => s_allTypes;

    /// <summary>
    /// Gets the edges from the types whose namespace matches <paramref name="namespacePattern"/> to anything named by
    /// <paramref name="forbidden"/>: namespaces (their sub-namespaces included) or full type names.
    /// </summary>
    public static IReadOnlyList<string> Find(string namespacePattern, IReadOnlyCollection<string> forbidden)
    {
        var edges = new SortedSet<string>(StringComparer.Ordinal);
        if (forbidden.Count == 0)
        {
            return [];
        }

        var regex = new Regex(namespacePattern);
        IReadOnlyList<string> failingTypes = Failing(namespacePattern, regex, [.. forbidden]);
        if (failingTypes.Count > 0)
        {
            var explained = new HashSet<string>(StringComparer.Ordinal);
            foreach (Type candidate in s_allTypes.Where(t => !t.IsNested && Matches(t.FullName!, forbidden)))
            {
                foreach (string failing in Failing(namespacePattern, regex, candidate.FullName!))
                {
                    edges.Add($"{Display(failing)} -> {candidate.FullName}");
                    explained.Add(failing);
                }
            }

            foreach (string failing in failingTypes.Where(f => !explained.Contains(f)))
            {
                // A dependency on a type no assembly here defines (cannot happen for TcpToolkit names): name the rule's list.
                edges.Add($"{Display(failing)} -> one of {string.Join(", ", forbidden)}");
            }
        }

        foreach (Type type in s_allTypes.Where(t => t.Namespace is not null && regex.IsMatch(t.Namespace)))
        {
            foreach (Type caught in CatchTypes(type).Where(c => c.FullName is not null && Matches(c.FullName, forbidden)))
            {
                edges.Add($"{Display(OuterMost(type).FullName!)} -> {caught.FullName} (catch clause)");
            }
        }

        return [.. edges];
    }

    /// <summary>The full (Cecil) names of the types in the namespaces that depend on any of <paramref name="dependencies"/>.</summary>
    private static IReadOnlyList<string> Failing(string namespacePattern, Regex regex, params string[] dependencies)
    {
        var inRoom = s_types.That().ResideInNamespaceMatching(namespacePattern).Should().NotHaveDependencyOnAny(dependencies).GetResult();

        // NetArchTest gives a nested type that is neither public nor private (internal, protected) an empty namespace,
        // so the pattern above misses it: select those by their declaring type's namespace instead.
        var nested = s_types.That().ResideInNamespaceMatching("^$").Should().NotHaveDependencyOnAny(dependencies).GetResult();
        IEnumerable<string> nestedInRoom = nested.IsSuccessful ? [] : nested.FailingTypeNames.Where(n => IsNestedIn(n, regex));

        return [.. (inRoom.IsSuccessful ? [] : inRoom.FailingTypeNames).Concat(nestedInRoom)];
    }

    private static bool IsNestedIn(string cecilName, Regex regex)
    {
        int slash = cecilName.IndexOf('/', StringComparison.Ordinal);
        int dot = slash < 0 ? -1 : cecilName.LastIndexOf('.', slash);
        return dot > 0 && regex.IsMatch(cecilName[..dot]);
    }

    /// <summary>
    /// Asserts that there is no edge, listing every one in the failure (a collection assertion shows only the first).
    /// </summary>
    public static void ShouldBeNone(this IReadOnlyList<string> edges, string because) =>
        string.Join(Environment.NewLine, edges).Should().BeEmpty(because);

    /// <summary>Gets whether <paramref name="fullName"/> is, or lies in, one of <paramref name="names"/>.</summary>
    public static bool Matches(string fullName, IEnumerable<string> names) => names.Any(n =>
        fullName == n || fullName.StartsWith(n + ".", StringComparison.Ordinal) || fullName.StartsWith(n + "+", StringComparison.Ordinal));

    /// <summary>Gets whether the compiler made <paramref name="type"/> (a lambda's closure, an async state machine...).</summary>
    public static bool IsCompilerGenerated(Type type) =>
        type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || (type.IsNested && IsCompilerGenerated(type.DeclaringType!));

    private static IEnumerable<Type> CatchTypes(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        IEnumerable<MethodBase> methods = [.. type.GetMethods(All), .. type.GetConstructors(All)];
        foreach (MethodBase method in methods)
        {
            MethodBody? body = method.GetMethodBody();
            if (body is null)
            {
                continue;
            }

            foreach (ExceptionHandlingClause clause in body.ExceptionHandlingClauses)
            {
                if (clause.Flags == ExceptionHandlingClauseOptions.Clause && clause.CatchType is { } caught)
                {
                    yield return caught;
                }
            }
        }
    }

    /// <summary>The type a compiler-generated class belongs to: a state machine's edge is its method's class's.</summary>
    private static Type OuterMost(Type type) => IsCompilerGenerated(type) && type.IsNested ? OuterMost(type.DeclaringType!) : type;

    private static string Display(string cecilName) => cecilName.Replace('/', '+');
}
