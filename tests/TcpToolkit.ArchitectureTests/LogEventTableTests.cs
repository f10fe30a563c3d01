using System.Reflection;
using System.Text;
using Microsoft.Extensions.Logging;
using TcpToolkit.Messaging;
using TcpToolkit.Redis;

namespace TcpToolkit.ArchitectureTests;

/// <summary>
/// Issue #14: every log event of the three packages is a <c>[LoggerMessage]</c> with an event id of its own, and the
/// README's event table (section "Log events") lists exactly those events: id, name, level and room. The attribute is
/// kept in the built assemblies' metadata, so the table is checked against what ships, not against the source.
/// </summary>
public sealed class LogEventTableTests
{
    private static readonly Assembly[] Packages = [Rooms.Core, typeof(MessageServer).Assembly, typeof(RedisSessionBackplane).Assembly];

    [Fact]
    public void LoggerMessages_AllPackages_NoEventIdUsedTwice()
    {
        var events = Events();

        events.Should().NotBeEmpty();
        events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}")
            .Should().BeEmpty("an event id names one event in every package (retired ids stay Reserved)");
        events.Should().OnlyContain(e => e.Id > 0, "every event has a fixed id (no id 0, no generated one)");
    }

    [Fact]
    public void LogEventsTable_Readme_ListsExactlyTheLoggerMessages()
    {
        var events = Events();
        var table = ReadmeTable();

        var expected = events.Select(e => $"{e.Id} {e.Name} {e.Level} {e.Room}").ToList();
        var listed = table.Select(row => string.Join(' ', row.Take(4))).ToList();
        listed.Should().Equal(expected, "the README's 'Log events' table lists every [LoggerMessage] (id, name, level, room) in id order; the rows as they should be:\n" + Rows(events));
    }

    /// <summary>The [LoggerMessage] methods of the packages, in id order.</summary>
    private static List<LogEvent> Events()
        => [.. Packages
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => new LogEvent(
                m.Attribute!.EventId,
                m.Attribute.EventName ?? m.Method.Name,
                m.Attribute.Level == LogLevel.None ? "(argument)" : m.Attribute.Level.ToString(),
                RoomOf(m.Method.DeclaringType!),
                m.Attribute.Message,
                m.Method.DeclaringType!.Name + "." + m.Method.Name))
            .OrderBy(e => e.Id)];

    // TcpToolkit.Transport.Internal.Epoll -> Transport; TcpToolkit.Messaging.Internal -> Messaging.
    private static string RoomOf(Type type) => type.Namespace!.Split('.')[1];

    /// <summary>The cells of the README's "Log events" table, one array per row, header and separator left out.</summary>
    private static List<string[]> ReadmeTable()
    {
        var readme = File.ReadAllLines(Path.Combine(RepositoryRoot(), "README.md"));
        var start = Array.FindIndex(readme, line => line.StartsWith("### Log events", StringComparison.Ordinal));
        start.Should().BeGreaterThan(0, "the README has a '### Log events' section");
        var header = Array.FindIndex(readme, start, line => line.StartsWith("| id |", StringComparison.Ordinal));
        header.Should().BeGreaterThan(start, "the section has a table whose first column is 'id'");
        return [.. readme.Skip(header + 2)
            .TakeWhile(line => line.StartsWith('|'))
            .Select(line => line.Trim('|').Split(" | ").Select(cell => cell.Trim().Trim('`')).ToArray())];
    }

    private static string Rows(List<LogEvent> events)
    {
        var rows = new StringBuilder();
        foreach (var e in events)
        {
            rows.Append("| ").Append(e.Id).Append(" | `").Append(e.Name).Append("` | ").Append(e.Level).Append(" | ").Append(e.Room).Append(" | ")
                .Append(e.Message.Replace("|", "\\|", StringComparison.Ordinal)).AppendLine(" |");
        }

        return rows.ToString();
    }

    private static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "TcpToolkit.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("The repository root (TcpToolkit.sln) was not found above " + AppContext.BaseDirectory);
    }

    private sealed record LogEvent(int Id, string Name, string Level, string Room, string Message, string Method);
}
