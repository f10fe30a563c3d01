using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>A server under test, started pinned to core 0, with its output lines kept (with arrival times).</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    /// <summary>Gets the lines the server printed, each with the <see cref="Stopwatch"/> timestamp it arrived at.</summary>
    public ConcurrentQueue<(long Timestamp, string Line)> Output { get; } = new();

    /// <summary>Starts <paramref name="server"/> on a free port and waits until it accepts connections.</summary>
    /// <param name="server">Which server.</param>
    /// <param name="framing">Its <c>--framing</c>.</param>
    /// <param name="stats">Adds <c>--stats</c> (the allocation probe).</param>
    /// <param name="tls">Starts it with its <see cref="PeerServer.TlsArguments"/>.</param>
    public static async Task<ServerProcess> StartAsync(PeerServer server, string framing, bool stats, bool tls = false)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-c", "0", .. server.Command(tls), "--port", port.ToString(CultureInfo.InvariantCulture), "--framing", framing])
        {
            start.ArgumentList.Add(argument);
        }

        ApplyEnvironment(start, server.Environment);

        if (stats)
        {
            start.ArgumentList.Add("--stats");
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + server.Name);
        var result = new ServerProcess(process, port);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                result.Output.Enqueue((Stopwatch.GetTimestamp(), e.Data));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                result.Output.Enqueue((Stopwatch.GetTimestamp(), "stderr: " + e.Data));
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await result.WaitUntilListeningAsync(server.Name);
        return result;
    }

    /// <summary>
    /// Gives a child process the harness's environment without the inline-completions switch, plus
    /// <paramref name="variables"/>: only the server whose table row sets the switch runs with it, even when the shell
    /// that started the harness exported it.
    /// </summary>
    public static void ApplyEnvironment(ProcessStartInfo start, IReadOnlyDictionary<string, string> variables)
    {
        start.Environment.Remove(PeerServer.InlineCompletionsVariable);
        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }
    }

    /// <summary>The first line the server printed (its "listening on" line, which names its mode).</summary>
    public string FirstLine => Output.TryPeek(out var first) ? first.Line.Replace("stderr: ", "", StringComparison.Ordinal) : "";

    /// <summary>Waits (polling, at most <paramref name="limit"/>) for the server's first output line.</summary>
    public async Task WaitForFirstLineAsync(TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (Output.IsEmpty && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private async Task WaitUntilListeningAsync(string name)
    {
        // A harness, not a test: polling the port is the one signal every server (including the peers) gives.
        var deadline = Stopwatch.GetTimestamp() + (15 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(name + " exited: " + string.Join('\n', Output.Select(o => o.Line)));
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port));
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException(name + " did not listen on port " + Port + " within 15 s.");
    }
}
