using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;

// The README's snippets log with the short extension methods, as application code often does; the library does not.
#pragma warning disable CA1848, CA1873

namespace TcpToolkit.Hosting.Tests.Docs;

/// <summary>
/// The README's "Generic Host" example compiles as written: its two C# blocks are the code between the markers below,
/// line for line. What it does is what the other tests of this project check (it waits for Ctrl+C, so it is not run).
/// </summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public void GenericHost_InReadme_IsTheCodeCompiledHere()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var section = readme[readme.IndexOf("\n## Generic Host\n", StringComparison.Ordinal)..];
        var blocks = CodeBlock().Matches(section).Take(2).Select(m => Lines(m.Groups[1].Value)).ToList();

        var source = File.ReadAllText(Path.Combine(Repository.Root, "tests", "TcpToolkit.Hosting.Tests", "Docs", "ReadmeTests.cs"));

        blocks.Should().HaveCount(2);
        blocks[0].Should().Equal(Marked(source, "generic host"), "the README's program must be the code compiled below");
        blocks[1].Should().Equal(Marked(source, "echo handler"), "the README's handler must be the class compiled below");
    }

    // Compiled, never called: the program runs until the host is told to stop.
    internal static async Task GenericHostProgramAsync(string[] args)
    {
        // generic host begin
        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddTcpServer()                                    // settings: the "TcpServer" section
            .Use((services, next) =>
            {
                var logger = services.GetRequiredService<ILogger<EchoHandler>>();
                return async (connection, cancellationToken) =>
                {
                    logger.LogInformation("{Id} from {Remote}", connection.Id, connection.RemoteEndPoint);
                    await next(connection, cancellationToken);
                };
            })
            .UseHandler<EchoHandler>();                                    // resolved from DI once, at start
        builder.Services.AddHealthChecks().AddTcpServer();                 // the listener's health
        using var host = builder.Build();
        await host.StartAsync();
        var server = host.Services.GetRequiredKeyedService<HostedTcpServer>(HostedTcpServer.DefaultName);
        Console.WriteLine("Listening on " + string.Join(", ", server.LocalEndPoints));   // port 0's choice too
        await host.WaitForShutdownAsync();
        // generic host end
    }

    private static List<string> Lines(string code) =>
        [.. code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !UsingNamespace().IsMatch(l))];

    private static List<string> Marked(string source, string name)
    {
        var start = source.LastIndexOf("// " + name + " begin", StringComparison.Ordinal);
        var end = source.LastIndexOf("// " + name + " end", StringComparison.Ordinal);
        return Lines(source[start..end].Split('\n', 2)[1]);
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"^using [A-Za-z.]+;$")]
    private static partial Regex UsingNamespace();

    // echo handler begin
    sealed class EchoHandler(ILogger<EchoHandler> logger) : ITcpConnectionHandler
    {
        public async Task HandleConnectionAsync(Connection connection, CancellationToken cancellationToken)
        {
            var buffer = new byte[4096];
            int read;
            while ((read = await connection.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                await connection.SendAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            logger.LogDebug("{Id} done", connection.Id);
        }
    }
    // echo handler end
}
