using System.Net;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Docs;

/// <summary>The README's quick start compiles as written and runs: its code is <see cref="QuickStartAsync"/>, verbatim.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void QuickStart_InReadme_IsTheCodeCompiledHere()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var start = readme.IndexOf("## Quick start", StringComparison.Ordinal);
        var code = readme[(readme.IndexOf("```csharp\n", start, StringComparison.Ordinal) + "```csharp\n".Length)..];
        code = code[..code.IndexOf("```", StringComparison.Ordinal)];
        var body = code.Split('\n').Where(l => !l.StartsWith("using ", StringComparison.Ordinal)).Select(l => l.Trim()).Where(l => l.Length > 0);

        var source = File.ReadAllText(Path.Combine(Repository.Root, "tests", "TcpToolkit.IntegrationTests", "Docs", "ReadmeTests.cs"));
        var method = source[source.LastIndexOf("// quick start begin", StringComparison.Ordinal)..source.LastIndexOf("// quick start end", StringComparison.Ordinal)];
        var compiled = method.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0);

        body.Should().Equal(compiled, "the README's quick start must be the code compiled (and run) below");
    }

    [Fact]
    public async Task QuickStart_Runs_EchoesHelloWorld()
    {
        // The snippet listens on the guide's fixed port 65432; run it only when that port is free here.
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 65432));
            }
            catch (System.Net.Sockets.SocketException)
            {
                Assert.Skip("Port 65432 (the guide's) is in use on this machine; the quick start binds it as written.");
            }
        }

        await QuickStartAsync().WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
    }

    private static async Task QuickStartAsync()
    {
        // quick start begin
        var options = new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 65432) } };
        await using var server = new TcpServer(options, async (connection, stopping) =>
        {
            var buffer = new byte[1024];
            int read;
            while ((read = await connection.ReceiveAsync(buffer, stopping)) > 0)   // recv: 0 at EOF
            {
                await connection.SendAsync(buffer.AsMemory(0, read), stopping);    // sendall
            }
        });
        await server.StartAsync();

        await using var client = new TcpClient();
        await using var connection = await client.ConnectAsync("127.0.0.1", 65432);
        await connection.SendAsync("Hello, world"u8.ToArray());
        // quick start end
        var echo = new byte[12];
        var got = 0;
        while (got < echo.Length)
        {
            got += await connection.ReceiveAsync(echo.AsMemory(got));
        }

        echo.Should().Equal("Hello, world"u8.ToArray());
    }
}
