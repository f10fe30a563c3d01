using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// The real HAProxy (Debian's <c>haproxy</c> package, installed by .ci/run) in TCP mode in front of servers on
/// loopback, started from a configuration the test writes. Without HAProxy the test fails with a message saying so,
/// never passes. Readiness is HAProxy's own line "Using epoll() as the polling mechanism." (printed with <c>-V</c>
/// once it listens); health-check state changes arrive on stderr as lines to wait for.
/// </summary>
internal sealed class HaproxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private HaproxyProcess(Process process, string directory, IPEndPoint frontend)
    {
        _process = process;
        _directory = directory;
        Frontend = frontend;
    }

    /// <summary>Gets the address clients connect to.</summary>
    public IPEndPoint Frontend { get; }

    /// <summary>Gets HAProxy's stdout lines.</summary>
    public LineWaiter Output { get; } = new();

    /// <summary>Gets HAProxy's stderr lines (alerts, warnings, health-check state changes).</summary>
    public LineWaiter Errors { get; } = new();

    public static string RequireHaproxy()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Append("/usr/sbin")
            .Select(directory => Path.Combine(directory, "haproxy"))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException(
            "HAProxy is not installed, so the test behind a real load balancer cannot run. .ci/run installs it (apt-get install -y haproxy); on a workstation install it the same way.");
    }

    /// <summary>
    /// Starts HAProxy with a TCP frontend on a free loopback port and one backend server per entry of
    /// <paramref name="servers"/>, each sent a PROXY v2 header (health checks too, as LOCAL commands).
    /// </summary>
    public static async Task<HaproxyProcess> StartAsync(IReadOnlyList<IPEndPoint> servers, CancellationToken cancellationToken)
    {
        var haproxy = RequireHaproxy();

        // The free port is released for HAProxy (which cannot bind port 0), so another process may take it first:
        // then HAProxy says "cannot bind socket" and exits, and a new port is tried. Any other failure is reported.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(haproxy, servers, cancellationToken);
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("cannot bind socket", StringComparison.Ordinal))
            {
                ProcessFigures.Report("haproxy: its frontend port was taken meanwhile; retrying with another: " + ex.Message);
            }
        }
    }

    private static async Task<HaproxyProcess> StartOnceAsync(string haproxy, IReadOnlyList<IPEndPoint> servers, CancellationToken cancellationToken)
    {
        var frontend = new IPEndPoint(IPAddress.Loopback, FreePort());
        var directory = Directory.CreateTempSubdirectory("tcptoolkit-haproxy-").FullName;
        var config = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Config(frontend, servers), cancellationToken);

        var info = new ProcessStartInfo(haproxy)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in (string[])["-f", config, "-db", "-V"])
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var proxy = new HaproxyProcess(process, directory, frontend);
        process.OutputDataReceived += (_, e) => Forward(proxy.Output, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(proxy.Errors, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await proxy.Output.WaitForLinesAsync(line => line.StartsWith("Using epoll()", StringComparison.Ordinal), 1, cancellationToken);
            await proxy.WaitUntilListeningAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or SocketException)
        {
            await proxy.DisposeAsync();
            throw new InvalidOperationException("HAProxy did not start: " + string.Join(Environment.NewLine, proxy.Errors.Snapshot()), ex);
        }

        return proxy;
    }

    /// <summary>
    /// HAProxy can print its polling line a moment before its frontend listens (a client then met "connection refused"
    /// under load), and it prints nothing once it does. The frontend accepting a connection is the signal: probe it,
    /// a few milliseconds apart, until the caller's timeout. Stopping early on an exited HAProxy keeps failures quick.
    /// </summary>
    private async Task WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(Frontend, cancellationToken);
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused && !_process.HasExited)
            {
                // No external signal exists for "bound"; this bounded wait (the caller's timeout) is the readiness probe.
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            }
        }
    }

    /// <summary>Waits until HAProxy's health checks report <paramref name="server"/> (s1, s2, ...) down.</summary>
    public Task WaitForServerDownAsync(string server, CancellationToken cancellationToken) =>
        Errors.WaitForLinesAsync(line => line.Contains("Server be/" + server + " is DOWN", StringComparison.Ordinal), 1, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
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

    private static string Config(IPEndPoint frontend, IReadOnlyList<IPEndPoint> servers)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder()
            .AppendLine("global")
            .AppendLine("    maxconn 4096")
            .AppendLine("defaults")
            .AppendLine("    mode tcp")
            .AppendLine("    timeout connect 2s")
            .AppendLine("    timeout client 60s")
            .AppendLine("    timeout server 60s")
            .AppendLine("    retries 3")
            .AppendLine("    option redispatch")
            .AppendLine("frontend fe")
            .AppendLine(c, $"    bind {frontend}")
            .AppendLine("    default_backend be")
            .AppendLine("backend be")
            .AppendLine("    balance roundrobin");
        for (var i = 0; i < servers.Count; i++)
        {
            text.AppendLine(c, $"    server s{i + 1} {servers[i]} send-proxy-v2 check check-send-proxy inter 100ms fall 1 rise 1");
        }

        return text.ToString();
    }

    private static int FreePort()
    {
        // HAProxy cannot bind port 0; the kernel hands out a free port, which is released for HAProxy at once.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
