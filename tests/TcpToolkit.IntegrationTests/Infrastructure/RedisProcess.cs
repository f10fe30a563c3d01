using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// A real <c>redis-server</c> (Debian's package, installed by .ci/run) on a free loopback port, without persistence
/// (<c>--save '' --appendonly no</c>), in a temporary directory. Readiness is Redis's own line "Ready to accept
/// connections". <see cref="StopAsync"/> kills it (an outage as abrupt as a crash); <see cref="StartAgainAsync"/> starts
/// it again on the same port. Without redis-server the test fails with a message saying so, never passes.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;
    private LineWaiter _output = new();

    private RedisProcess(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Gets the StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    public static string RequireRedis()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Append("/usr/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException(
            "redis-server is not installed, so the test with a real Redis backplane cannot run. .ci/run installs it (apt-get install -y redis-server); on a workstation install it the same way.");
    }

    public static async Task<RedisProcess> StartAsync(CancellationToken cancellationToken)
    {
        RequireRedis();
        var redis = new RedisProcess(Directory.CreateTempSubdirectory("tcptoolkit-redis-").FullName, FreePort());
        try
        {
            await redis.StartAgainAsync(cancellationToken);
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }

        return redis;
    }

    /// <summary>Starts redis-server (again) on <see cref="Port"/> and waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(RequireRedis())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in (string[])["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", _directory, "--loglevel", "notice"])
        {
            info.ArgumentList.Add(argument);
        }

        var output = new LineWaiter();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Forward(output, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _output = output;
        try
        {
            await output.WaitForLinesAsync(line => line.Contains("Ready to accept connections", StringComparison.Ordinal), 1, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or TimeoutException)
        {
            throw new InvalidOperationException($"redis-server did not start on port {Port}: {ex.Message}", ex);
        }
    }

    /// <summary>Kills redis-server (SIGKILL: every client connection drops at once, nothing is saved).</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static void Forward(LineWaiter lines, string? line)
    {
        if (line is null)
        {
            lines.End();
        }
        else
        {
            lines.Add(line);
        }
    }

    private static int FreePort()
    {
        // redis-server cannot bind port 0; the kernel hands out a free port, which is released for Redis at once.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
