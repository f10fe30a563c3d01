using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// <c>dotnet run -c Release --project tests/TcpToolkit.Benchmarks -- compare</c>: runs every scenario against every
/// server, each server pinned to core 0 (<c>taskset -c 0</c>) and <c>tcptk bench</c> pinned to core 1, several times;
/// then the idle-connection memory test; prints and writes docs/benchmarks.md and docs/benchmarks.svg.
/// </summary>
internal static class CompareHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = 3;
        var duration = 5.0;
        var warmUp = 2.0;
        var idleConnections = 10_000;
        var build = true;
        string? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--duration": duration = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": warmUp = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--idle": idleConnections = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-build": build = false; break;
                case "--only": only = args[++i]; break;
                default:
                    Console.Error.WriteLine("Usage: compare [--runs 3] [--duration 5] [--warmup 2] [--idle 10000] [--no-build] [--only SCENARIO]");
                    return 1;
            }
        }

        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
        {
            Console.Error.WriteLine("compare needs Linux (taskset, /proc) and at least 2 cores.");
            return 1;
        }

        var root = FindRoot();
        var servers = PeerServer.All(root);
        var cli = Path.Combine(root, "src/TcpToolkit.Cli/bin/Release/net10.0/tcptk.dll");
        if (build)
        {
            foreach (var project in servers.Select(s => s.ProjectPath).Append(Path.Combine(root, "src/TcpToolkit.Cli")))
            {
                await RunToEndAsync("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "q"]);
            }
        }

        var loadBefore = ProcessStats.LoadAverage();
        var started = Stopwatch.GetTimestamp();
        var scenarios = Scenario.All.Where(s => only is null || s.Name == only).ToArray();
        var results = new Dictionary<(Scenario, PeerServer), List<RunResult>>();
        foreach (var scenario in scenarios)
        {
            for (var run = 0; run < runs; run++)
            {
                // Rotate the order each run, so a burst of background load does not always hit the same server.
                for (var k = 0; k < servers.Length; k++)
                {
                    var server = servers[(k + run) % servers.Length];
                    var result = await RunOnceAsync(server, scenario, cli, duration, warmUp);
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{scenario.Name,-15} run {run + 1}  {server.Name,-29} {result.MessagesPerSecond,12:N0} msg/s {result.MegabytesPerSecond,9:N1} MB/s  p99 {result.P99,9:N1} us  cpu server {result.ServerCpu:P0} generator {result.GeneratorCpu:P0}"));
                    if (!results.TryGetValue((scenario, server), out var list))
                    {
                        results[(scenario, server)] = list = [];
                    }

                    list.Add(result);
                }
            }
        }

        var idle = new Dictionary<PeerServer, List<IdleResult>>();
        if (only is null && idleConnections > 0)
        {
            for (var run = 0; run < runs; run++)
            {
                foreach (var server in servers)
                {
                    var perConnection = await MeasureIdleAsync(server, idleConnections);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle {idleConnections} run {run + 1}  {server.Name,-29} {perConnection.BytesPerConnection / 1024:N2} KiB/connection ({perConnection.Accepted} accepted)"));
                    if (!idle.TryGetValue(server, out var list))
                    {
                        idle[server] = list = [];
                    }

                    list.Add(perConnection);
                }
            }
        }

        var summaries = results.Select(r => new Summary(r.Key.Item1, r.Key.Item2, r.Value.Count, Median(r.Value))).ToList();
        var idleMedians = idle.ToDictionary(i => i.Key, i => new IdleResult(MedianOf(i.Value.Select(r => r.BytesPerConnection)), (int)MedianOf(i.Value.Select(r => (double)r.Accepted))));
        var machine = new MachineInfo(
            CpuModel(),
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription,
            Environment.ProcessorCount,
            loadBefore,
            ProcessStats.LoadAverage(),
            Stopwatch.GetElapsedTime(started));
        var settings = new HarnessSettings(runs, duration, warmUp, idleConnections);
        var markdown = Report.Markdown(summaries, idleMedians, machine, settings, servers, scenarios);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (only is null)
        {
            var docs = Path.Combine(root, "docs");
            Directory.CreateDirectory(docs);
            await File.WriteAllTextAsync(Path.Combine(docs, "benchmarks.md"), markdown);
            await File.WriteAllTextAsync(Path.Combine(docs, "benchmarks.svg"), Chart.Svg(summaries, servers, scenarios));
            Console.WriteLine("Wrote docs/benchmarks.md and docs/benchmarks.svg");
        }

        return 0;
    }

    private static async Task<RunResult> RunOnceAsync(PeerServer server, Scenario scenario, string cli, double duration, double warmUp)
    {
        var stats = server.Name == "TcpToolkit" && scenario.Framing == "length32";
        using var serverProcess = await ServerProcess.StartAsync(server, scenario.Framing, stats);
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])[
            "-c", "1", "dotnet", cli, "bench", "--host", "127.0.0.1", "--port", serverProcess.Port.ToString(CultureInfo.InvariantCulture),
            "--framing", scenario.Framing, "--connections", Invariant(scenario.Connections), "--depth", Invariant(scenario.Depth),
            "--size", Invariant(scenario.Size), "--duration", Invariant(duration), "--warmup", Invariant(warmUp), "--json"])
        {
            start.ArgumentList.Add(argument);
        }

        using var generator = Process.Start(start) ?? throw new InvalidOperationException("Could not start tcptk bench.");
        var output = generator.StandardOutput.ReadToEndAsync();

        // CPU shares over the middle of the measured window (the generator needs a moment to start and connect).
        await Task.Delay(TimeSpan.FromSeconds(warmUp + 0.5));
        var windowStart = Stopwatch.GetTimestamp();
        var serverCpu0 = ProcessStats.CpuSeconds(serverProcess.Pid);
        var generatorCpu0 = ProcessStats.CpuSeconds(generator.Id);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.5, duration - 1)));
        var serverCpu1 = ProcessStats.CpuSeconds(serverProcess.Pid);
        var generatorCpu1 = ProcessStats.CpuSeconds(generator.Id);
        var windowEnd = Stopwatch.GetTimestamp();
        var window = Stopwatch.GetElapsedTime(windowStart, windowEnd).TotalSeconds;

        await generator.WaitForExitAsync();
        var json = (await output).Split('\n').Last(l => l.StartsWith('{'));
        using var document = JsonDocument.Parse(json);
        var summary = document.RootElement;
        if (summary.GetProperty("errors").GetInt32() != 0 || generator.ExitCode != 0)
        {
            throw new InvalidOperationException($"tcptk bench reported errors against {server.Name}: {json}");
        }

        double? perFrame = stats ? AllocatedPerFrame(serverProcess, windowStart, windowEnd) : null;
        var latency = summary.GetProperty("latencyUs");
        return new RunResult(
            summary.GetProperty("msgPerSec").GetDouble(),
            summary.GetProperty("mbPerSec").GetDouble(),
            latency.GetProperty("p50").GetDouble(),
            latency.GetProperty("p99").GetDouble(),
            latency.GetProperty("p999").GetDouble(),
            (serverCpu1 - serverCpu0) / window,
            (generatorCpu1 - generatorCpu0) / window,
            perFrame);
    }

    /// <summary>Bytes the server allocated per echoed frame over the last two <c>--stats</c> intervals inside the window.</summary>
    private static double? AllocatedPerFrame(ServerProcess server, long windowStart, long windowEnd)
    {
        var lines = server.Output
            .Where(o => o.Timestamp >= windowStart && o.Timestamp <= windowEnd && o.Line.StartsWith("stats ", StringComparison.Ordinal))
            .Select(o => o.Line.Split(' ').Skip(1).Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture)))
            .ToList();
        if (lines.Count < 2)
        {
            return null;
        }

        // The last two seconds of the window: in the first seconds of a process the JIT's tiering (OSR, tier-1
        // rejits) still allocates a few hundred KB, which is start-up, not the echo path.
        var first = lines[Math.Max(0, lines.Count - 3)];
        var frames = lines[^1]["frames"] - first["frames"];
        var allocated = lines[^1]["allocated"] - first["allocated"];
        return frames > 0 ? allocated / (double)frames : null;
    }

    private static async Task<IdleResult> MeasureIdleAsync(PeerServer server, int count)
    {
        using var serverProcess = await ServerProcess.StartAsync(server, "raw", stats: false);
        var endPoint = new IPEndPoint(IPAddress.Loopback, serverProcess.Port);

        // Warm up the accept path (JIT, pools) with a few short-lived connections, and wait until they are gone.
        await OpenAsync(endPoint, 200, dispose: true);
        await WaitForStableDescriptorsAsync(serverProcess.Pid, TimeSpan.FromSeconds(10));
        var descriptorsBefore = ProcessStats.OpenDescriptors(serverProcess.Pid);
        var residentBefore = ProcessStats.ResidentBytes(serverProcess.Pid);
        var sockets = await OpenAsync(endPoint, count, dispose: false);
        try
        {
            // The server holds a descriptor per accepted connection: wait until it has them all (or 60 s pass; a
            // server that accepts slowly is measured over the connections it did accept).
            var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
            while (ProcessStats.OpenDescriptors(serverProcess.Pid) - descriptorsBefore < count && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(100);
            }

            await Task.Delay(1000);
            var accepted = ProcessStats.OpenDescriptors(serverProcess.Pid) - descriptorsBefore;
            var resident = ProcessStats.ResidentBytes(serverProcess.Pid) - residentBefore;
            return new IdleResult(resident / (double)Math.Max(1, accepted), accepted);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static async Task WaitForStableDescriptorsAsync(int pid, TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var last = ProcessStats.OpenDescriptors(pid);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(500);
            var now = ProcessStats.OpenDescriptors(pid);
            if (now == last)
            {
                return;
            }

            last = now;
        }
    }

    private static async Task<List<Socket>> OpenAsync(IPEndPoint endPoint, int count, bool dispose)
    {
        var sockets = new List<Socket>(count);
        const int Batch = 64;
        for (var i = 0; i < count; i += Batch)
        {
            var batch = Enumerable.Range(0, Math.Min(Batch, count - i)).Select(async _ =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endPoint);
                return socket;
            });
            sockets.AddRange(await Task.WhenAll(batch));
        }

        if (dispose)
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }

        return sockets;
    }

    private static RunResult Median(List<RunResult> runs) => new(
        MedianOf(runs.Select(r => r.MessagesPerSecond)),
        MedianOf(runs.Select(r => r.MegabytesPerSecond)),
        MedianOf(runs.Select(r => r.P50)),
        MedianOf(runs.Select(r => r.P99)),
        MedianOf(runs.Select(r => r.P999)),
        MedianOf(runs.Select(r => r.ServerCpu)),
        MedianOf(runs.Select(r => r.GeneratorCpu)),
        runs.Any(r => r.AllocatedBytesPerFrame is not null) ? MedianOf(runs.Where(r => r.AllocatedBytesPerFrame is not null).Select(r => r.AllocatedBytesPerFrame!.Value)) : null);

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string CpuModel()
    {
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return model is null ? "unknown CPU" : model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TcpToolkit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run compare from inside the repository (TcpToolkit.sln not found above " + AppContext.BaseDirectory + ").");
    }

    private static async Task RunToEndAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + file);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(new StringBuilder(file).Append(' ').AppendJoin(' ', arguments).Append(" failed").ToString());
        }
    }
}

/// <summary>Where and when the harness ran.</summary>
internal sealed record MachineInfo(string Cpu, string Runtime, string Os, int Cores, string LoadBefore, string LoadAfter, TimeSpan Elapsed);

/// <summary>Server memory per idle connection, and how many of the connections it had accepted when measured.</summary>
internal sealed record IdleResult(double BytesPerConnection, int Accepted);

/// <summary>How the harness ran.</summary>
internal sealed record HarnessSettings(int Runs, double Duration, double WarmUp, int IdleConnections);
