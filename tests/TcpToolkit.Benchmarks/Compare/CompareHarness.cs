using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// <c>dotnet run -c Release --project tests/TcpToolkit.Benchmarks -- compare</c>: runs every selected scenario against
/// every selected server (<see cref="HarnessOptions.Usage"/>), each server pinned to core 0 (<c>taskset -c 0</c>) and
/// the load generator (<c>tcptk bench</c>, or with <c>--generator c</c> the C one) pinned to core 1 with the same
/// arguments for every server, several times (TLS scenarios only against the servers that serve TLS, always with
/// <c>tcptk bench</c>); then the allocation, idle-connection, connection-burst (its client is C too under
/// <c>--generator c</c>) and TLS handshake measurements; prints the report and writes it
/// (docs/benchmarks.md and docs/benchmarks.svg for a complete run).
/// </summary>
internal static class CompareHarness
{
    /// <summary>How long the burst client may take in all; connects still pending then count as failed.</summary>
    private const double BurstDeadlineSeconds = 60;

    /// <summary>How long one connect of the burst may take (a dropped SYN is retried after 1, 3 and 7 s).</summary>
    private const double BurstConnectTimeoutSeconds = 10;

    /// <summary>How long the handshake client may run past its measured window (its cycles give up after 10 s).</summary>
    private const double HandshakeClientGraceSeconds = 30;

    public static async Task<int> RunAsync(string[] args)
    {
        if (HarnessOptions.Parse(args, Console.Error) is not { } options)
        {
            return 1;
        }

        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
        {
            Console.Error.WriteLine("compare needs Linux (taskset, /proc) and at least 2 cores.");
            return 1;
        }

        var root = FindRoot();
        var servers = PeerServer.All(root).Where(s => options.ServerIds.Contains(s.Id)).ToArray();
        var scenarios = Scenario.All.Where(s => options.Has(s.Id)).ToArray();
        var probe = options.Has(HarnessOptions.Alloc) ? PeerServer.AllocationProbe(root) : null;
        var cli = Path.Combine(root, "src/TcpToolkit.Cli/bin/Release/net10.0/tcptk.dll");
        var benchClient = NativeBuild.OutputOf(NativeBuild.BenchClientSource(root));
        var burstClient = NativeBuild.OutputOf(NativeBuild.BurstClientSource(root));
        var tls = scenarios.Any(s => s.Tls) || options.Has(HarnessOptions.TlsHandshake);
        Console.WriteLine(Estimate(options, servers, scenarios));
        if (tls && servers.Where(s => !s.SupportsTls).Select(s => s.Id).ToArray() is { Length: > 0 } plainOnly)
        {
            Console.WriteLine($"Note: the TLS measurements skip {string.Join(", ", plainOnly)} (no TLS mode).");
        }
        if (Environment.GetEnvironmentVariable(PeerServer.InlineCompletionsVariable) is not null)
        {
            Console.WriteLine($"Note: {PeerServer.InlineCompletionsVariable} is set in this shell; the harness removes it for every process it starts except the servers whose row sets it.");
        }

        if (options.Build)
        {
            var projects = servers.Where(s => !s.Native).SelectMany(s => s.AlsoBuild is { } also ? [s.ProjectPath, also] : (string[])[s.ProjectPath]).Append(Path.Combine(root, "src/TcpToolkit.Cli"));
            foreach (var project in (probe is null ? projects : projects.Append(probe.ProjectPath)).Distinct())
            {
                await RunToEndAsync("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "q"]);
            }
        }

        // The C programs (issue #17) are compiled when missing or older than their source, even with --no-build.
        var sources = servers.Where(s => s.Native).Select(s => s.SourcePath);
        if (options.Generator == HarnessOptions.GeneratorC)
        {
            sources = sources.Append(NativeBuild.BenchClientSource(root));
        }

        if (UsesCBurstClient(options) && options.Has(HarnessOptions.Burst) && options.BurstConnections > 0)
        {
            sources = sources.Append(NativeBuild.BurstClientSource(root));
        }

        try
        {
            foreach (var source in sources)
            {
                await NativeBuild.EnsureBuiltAsync(source);
            }
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }

        // Start every server once before measuring anything: a missing option or a crash at start-up fails here, in
        // seconds, and each server's first line (which names its mode) goes into the log.
        if (!await PreflightAsync(probe is null ? servers : [.. servers, probe], cli, tls))
        {
            return 1;
        }

        var loadBefore = ProcessStats.LoadAverage();
        var started = Stopwatch.GetTimestamp();
        var failures = new List<string>();
        var results = new Dictionary<(Scenario, PeerServer), List<RunResult>>();
        foreach (var scenario in scenarios)
        {
            var cellServers = scenario.ServersOf(servers);
            for (var run = 0; run < options.Runs; run++)
            {
                // Rotate the order each run, so a burst of background load does not always hit the same server.
                for (var k = 0; k < cellServers.Length; k++)
                {
                    var server = cellServers[(k + run) % cellServers.Length];
                    var label = string.Create(CultureInfo.InvariantCulture, $"{scenario.Name,-15} run {run + 1}  {server.Name,-29}");
                    if (await TryAsync(label, failures, () => RunOnceAsync(server, scenario, cli, benchClient, options, stats: false)) is { } result)
                    {
                        Console.WriteLine(string.Create(
                            CultureInfo.InvariantCulture,
                            $"{label} {result.MessagesPerSecond,12:N0} msg/s {result.MegabytesPerSecond,9:N1} MB/s  p99 {result.P99,9:N1} us  cpu server {result.ServerCpu:P0} generator {result.GeneratorCpu:P0}"));
                        Add(results, (scenario, server), result);
                    }
                }
            }
        }

        var allocation = new List<double>();
        for (var run = 0; probe is not null && run < options.Runs; run++)
        {
            var label = string.Create(CultureInfo.InvariantCulture, $"allocation run {run + 1}  {probe.Name,-29}");
            if (await TryAsync(label, failures, () => RunOnceAsync(probe, Scenario.SmallMessages, cli, benchClient, options, stats: true)) is { } result)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} {result.MessagesPerSecond,12:N0} msg/s  {result.AllocatedBytesPerFrame?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "n/a (window too short)"} B/frame"));
                if (result.AllocatedBytesPerFrame is { } perFrame)
                {
                    allocation.Add(perFrame);
                }
            }
        }

        var idle = new Dictionary<PeerServer, List<IdleResult>>();
        for (var run = 0; options.Has(HarnessOptions.Idle) && options.IdleConnections > 0 && run < options.Runs; run++)
        {
            foreach (var server in servers)
            {
                var label = string.Create(CultureInfo.InvariantCulture, $"idle {options.IdleConnections} run {run + 1}  {server.Name,-29}");
                if (await TryAsync(label, failures, () => MeasureIdleAsync(server, options.IdleConnections)) is { } result)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} {result.BytesPerConnection / 1024:N2} KiB/connection ({result.Accepted} accepted)"));
                    Add(idle, server, result);
                }
            }
        }

        var burst = new Dictionary<PeerServer, List<BurstResult>>();
        for (var run = 0; options.Has(HarnessOptions.Burst) && options.BurstConnections > 0 && run < options.Runs; run++)
        {
            foreach (var server in servers)
            {
                var label = string.Create(CultureInfo.InvariantCulture, $"burst {options.BurstConnections} run {run + 1}  {server.Name,-29}");
                if (await TryAsync(label, failures, () => MeasureBurstAsync(server, options, burstClient)) is { } result)
                {
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{label} {result.ConnectsPerSecond,9:N0} connects/s in {result.Seconds:0.00} s, connect p99 {result.ConnectP99Ms:N1} ms max {result.ConnectMaxMs:N0} ms, {result.Failed} failed, {result.Accepted} accepted, listen overflows +{result.ListenOverflows?.ToString(CultureInfo.InvariantCulture) ?? "?"} drops +{result.ListenDrops?.ToString(CultureInfo.InvariantCulture) ?? "?"}"));
                    Add(burst, server, result);
                }
            }
        }

        var handshakes = new Dictionary<PeerServer, List<HandshakeResult>>();
        var tlsServers = servers.Where(s => s.SupportsTls).ToArray();
        for (var run = 0; options.Has(HarnessOptions.TlsHandshake) && run < options.Runs; run++)
        {
            for (var k = 0; k < tlsServers.Length; k++)
            {
                var server = tlsServers[(k + run) % tlsServers.Length];
                var label = string.Create(CultureInfo.InvariantCulture, $"TLS handshakes  run {run + 1}  {server.Name,-29}");
                if (await TryAsync(label, failures, () => MeasureHandshakesAsync(server, options)) is { } result)
                {
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{label} {result.HandshakesPerSecond,9:N0} handshakes/s  p50 {result.P50Ms:N2} ms  p99 {result.P99Ms:N2} ms  {result.Errors} errors  cpu server {result.ServerCpu:P0} client {result.ClientCpu:P0}  ({result.Session})"));
                    Add(handshakes, server, result);
                }
            }
        }

        var machine = new MachineInfo(
            CpuModel(),
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription,
            Environment.ProcessorCount,
            loadBefore,
            ProcessStats.LoadAverage(),
            Stopwatch.GetElapsedTime(started));
        var outcome = new CompareResults(
            [.. results.Select(r => new Summary(r.Key.Item1, r.Key.Item2, r.Value.Count, Median(r.Value)))],
            idle.ToDictionary(i => i.Key, i => new IdleResult(MedianOf(i.Value.Select(r => r.BytesPerConnection)), (int)MedianOf(i.Value.Select(r => (double)r.Accepted)))),
            burst.ToDictionary(b => b.Key, b => Median(b.Value)),
            handshakes.ToDictionary(h => h.Key, h => Median(h.Value)),
            allocation.Count > 0 ? MedianOf(allocation) : null,
            failures);
        var output = options.Out ?? (options.IsComplete ? Path.Combine(root, "docs", "benchmarks.md") : null);
        var chart = output is null ? null : Path.ChangeExtension(output, ".svg");
        var markdown = Report.Markdown(outcome, machine, options, servers, scenarios, chart is null ? null : Path.GetFileName(chart));
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (output is not null && chart is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            await File.WriteAllTextAsync(output, markdown);
            await File.WriteAllTextAsync(chart, Chart.Svg(outcome.Summaries, servers, scenarios, options.Generator == HarnessOptions.GeneratorC ? "the C generator" : "tcptk bench"));
            Console.WriteLine($"Wrote {output} and {chart}");
        }
        else
        {
            Console.WriteLine("Not written (not every scenario was selected): pass --out PATH to keep this report.");
        }

        return failures.Count == 0 ? 0 : 2;
    }

    /// <summary>
    /// The expected length of a run, from the full run of f42ebfc (4 servers, 12.3 min) and the burst's trial runs: a
    /// generator run (and a handshake run) costs its warm-up and measured seconds plus about 1.5 s to start and stop,
    /// an idle measurement about 15 s (75 s for a server that never accepts them all), a burst about 8 s.
    /// </summary>
    private static string Estimate(HarnessOptions options, PeerServer[] servers, Scenario[] scenarios)
    {
        var tlsServers = servers.Count(s => s.SupportsTls);
        var cells = scenarios.Sum(s => s.ServersOf(servers).Length);
        var generatorRuns = options.Runs * (cells + (options.Has(HarnessOptions.Alloc) ? 1 : 0) + (options.Has(HarnessOptions.TlsHandshake) ? tlsServers : 0));
        var idleRuns = options.Has(HarnessOptions.Idle) && options.IdleConnections > 0 ? options.Runs * servers.Length : 0;
        var burstRuns = options.Has(HarnessOptions.Burst) && options.BurstConnections > 0 ? options.Runs * servers.Length : 0;
        var seconds = (generatorRuns * (options.WarmUp + options.Duration + 1.5)) + (idleRuns * 15) + (burstRuns * 8);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"compare: {servers.Length} servers ({string.Join(',', options.ServerIds)}), scenarios {string.Join(',', options.ScenarioIds)}, generator {GeneratorName(options)}, {options.Runs} run{(options.Runs == 1 ? "" : "s")} of {options.WarmUp:0.#} s + {options.Duration:0.#} s: about {Math.Ceiling(seconds / 60)} min after the build.");
    }

    /// <summary>Runs one measurement; a failure is logged and kept for the report instead of ending a long run.</summary>
    private static async Task<T?> TryAsync<T>(string label, List<string> failures, Func<Task<T>> measure)
        where T : class
    {
        try
        {
            return await measure();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or JsonException or IOException or SocketException or Win32Exception)
        {
            var message = label.Trim() + ": " + ex.Message.ReplaceLineEndings(" ");
            Console.WriteLine("FAILED " + message);
            failures.Add(message);
            return null;
        }
    }

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> results, TKey key, TValue value)
        where TKey : notnull
    {
        if (!results.TryGetValue(key, out var list))
        {
            results[key] = list = [];
        }

        list.Add(value);
    }

    /// <summary>Starts every server once (and, when a TLS measurement is selected, every TLS server in its TLS mode too).</summary>
    private static async Task<bool> PreflightAsync(PeerServer[] servers, string cli, bool tls)
    {
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine(cli + " is not built (run without --no-build).");
            return false;
        }

        foreach (var server in servers)
        {
            if (!File.Exists(server.ProgramPath))
            {
                Console.Error.WriteLine($"{server.Id}: {server.ProgramPath} is not built (run without --no-build).");
                return false;
            }

            if (server.RequiredOption is { } option && !(await HelpAsync(server)).Contains(option, StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"{server.Id}: `{server.Describe()}` needs {option}, which this build of {server.AssemblyName} does not list in its --help. Build one that has it, or leave {server.Id} out of --servers.");
                return false;
            }

            foreach (var mode in tls && server.SupportsTls ? [false, true] : (bool[])[false])
            {
                try
                {
                    using var process = await ServerProcess.StartAsync(server, "raw", stats: false, mode);
                    await process.WaitForFirstLineAsync(TimeSpan.FromSeconds(5));
                    Console.WriteLine($"  {server.Id + (mode ? " (TLS)" : ""),-25} {(process.FirstLine.Length > 0 ? process.FirstLine : "listening on 127.0.0.1:" + process.Port)}");
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or Win32Exception)
                {
                    Console.Error.WriteLine($"{server.Id}{(mode ? " (TLS)" : "")}: did not start: {ex.Message}");
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The server's help: its leading sub-command words (e.g. <c>echo-server</c>) then <c>--help</c>.</summary>
    private static async Task<string> HelpAsync(PeerServer server)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[server.AssemblyPath, .. server.Arguments.TakeWhile(a => !a.StartsWith('-')), "--help"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + server.Name);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output + await error;
    }

    /// <summary>
    /// The generator's arguments: a function of the scenario and the settings only, never of the server. Over TLS the
    /// generator is TcpToolkit's TLS client (the library's middleware) with validation skipped: the servers' certificates
    /// are throwaway self-signed ones.
    /// </summary>
    public static string[] GeneratorArguments(Scenario scenario, string port, double duration, double warmUp) =>
    [
        "bench", "--host", "127.0.0.1", "--port", port, "--framing", scenario.Framing,
        "--connections", Invariant(scenario.Connections), "--depth", Invariant(scenario.Depth), "--size", Invariant(scenario.Size),
        "--duration", Invariant(duration), "--warmup", Invariant(warmUp), .. (string[])(scenario.Tls ? ["--tls", "--insecure"] : []), "--json",
    ];

    /// <summary>
    /// Whether <paramref name="scenario"/> runs with the C generator: <c>--generator c</c>, except over TLS (the C
    /// generator has no TLS client). Its command line is <see cref="GeneratorArguments"/> without <c>bench</c>.
    /// </summary>
    public static bool UsesCGenerator(Scenario scenario, HarnessOptions options) =>
        options.Generator == HarnessOptions.GeneratorC && !scenario.Tls;

    /// <summary>The generator's command line as the report shows it (N = the server's port).</summary>
    public static string GeneratorCommand(Scenario scenario, HarnessOptions options)
    {
        var arguments = GeneratorArguments(scenario, "N", options.Duration, options.WarmUp);
        return UsesCGenerator(scenario, options) ? "bench_client " + string.Join(' ', arguments[1..]) : "tcptk " + string.Join(' ', arguments);
    }

    /// <summary>The generator of the throughput and latency scenarios, as the console and the report name it.</summary>
    public static string GeneratorName(HarnessOptions options) =>
        options.Generator == HarnessOptions.GeneratorC ? "c (Peers/CEpoll/bench_client.c, tcptk bench for TLS; burst_client.c for the burst)" : "tcptk (tcptk bench)";

    /// <summary>
    /// Whether the connection burst runs the C burst client (Peers/CEpoll/burst_client.c): with <c>--generator c</c>.
    /// Otherwise it runs the benchmark project's <c>burst-client</c> (<see cref="BurstClient"/>, .NET), whose own connect
    /// path is the limit against the fastest servers: it measures itself there.
    /// </summary>
    public static bool UsesCBurstClient(HarnessOptions options) => options.Generator == HarnessOptions.GeneratorC;

    /// <summary>
    /// The burst client's arguments, the same for every server and for both clients: the .NET one takes them after
    /// the benchmark assembly, the C one (<c>burst_client</c>) without the leading <c>burst-client</c>.
    /// </summary>
    public static string[] BurstClientArguments(string port, HarnessOptions options) =>
    [
        "burst-client", "--port", port, "--count", Invariant(options.BurstConnections), "--concurrency", Invariant(options.BurstConcurrency),
        "--connect-timeout", Invariant(BurstConnectTimeoutSeconds), "--deadline", Invariant(BurstDeadlineSeconds),
    ];

    /// <summary>The burst client's command line as the report shows it (N = the server's port), after <c>taskset -c 1</c>.</summary>
    public static string BurstClientCommand(HarnessOptions options)
    {
        var arguments = BurstClientArguments("N", options);
        return UsesCBurstClient(options) ? "burst_client " + string.Join(' ', arguments[1..]) : "dotnet TcpToolkit.Benchmarks.dll " + string.Join(' ', arguments);
    }

    /// <summary>The handshake client's arguments, the same for every server.</summary>
    public static string[] HandshakeClientArguments(string port, HarnessOptions options) =>
    [
        "handshake-client", "--port", port, "--concurrency", Invariant(options.HandshakeConcurrency),
        "--duration", Invariant(options.Duration), "--warmup", Invariant(options.WarmUp),
    ];

    private static async Task<RunResult> RunOnceAsync(PeerServer server, Scenario scenario, string cli, string benchClient, HarnessOptions options, bool stats)
    {
        var (duration, warmUp) = (options.Duration, options.WarmUp);
        using var serverProcess = await ServerProcess.StartAsync(server, scenario.Framing, stats, scenario.Tls);
        var arguments = GeneratorArguments(scenario, Invariant(serverProcess.Port), duration, warmUp);
        var (name, command) = UsesCGenerator(scenario, options)
            ? ("bench_client", (string[])[benchClient, .. arguments[1..]])
            : ("tcptk bench", ["dotnet", cli, .. arguments]);
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-c", "1", .. command])
        {
            start.ArgumentList.Add(argument);
        }

        ServerProcess.ApplyEnvironment(start, new Dictionary<string, string>());
        using var generator = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + name + ".");
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

        // A generator stuck on a server that stopped answering must not stall an unattended run.
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                await generator.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                generator.Kill(entireProcessTree: true);
                throw new TimeoutException($"{name} against {server.Name} did not finish 30 s after its measured window.");
            }
        }

        var json = (await output).Split('\n').LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException($"{name} printed no summary against {server.Name} (exit code {generator.ExitCode}).");
        using var document = JsonDocument.Parse(json);
        var summary = document.RootElement;
        if (summary.GetProperty("errors").GetInt32() != 0 || generator.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} reported errors against {server.Name}: {json}");
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

    /// <summary>
    /// The connection burst: after 200 warm-up connections (JIT, pools), the burst client (pinned to core 1: the
    /// .NET <c>burst-client</c>, plain sockets, or with <c>--generator c</c> <c>burst_client</c>, see
    /// <see cref="UsesCBurstClient"/>) opens the connections as fast as it can with a bounded number in flight and
    /// keeps them open; the harness then waits up to 10 s for the server to hold them all and reads the kernel's
    /// listen-queue counters before and after. Both clients print the same JSON line.
    /// </summary>
    private static async Task<BurstResult> MeasureBurstAsync(PeerServer server, HarnessOptions options, string burstClient)
    {
        using var serverProcess = await ServerProcess.StartAsync(server, "raw", stats: false);
        await OpenAsync(new IPEndPoint(IPAddress.Loopback, serverProcess.Port), 200, dispose: true);
        await WaitForStableDescriptorsAsync(serverProcess.Pid, TimeSpan.FromSeconds(10));
        var descriptorsBefore = ProcessStats.OpenDescriptors(serverProcess.Pid);
        var countersBefore = await Nstat.ReadAsync();
        var start = new ProcessStartInfo("taskset") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        var arguments = BurstClientArguments(Invariant(serverProcess.Port), options);
        var (name, command) = UsesCBurstClient(options)
            ? ("burst_client", (string[])[burstClient, .. arguments[1..]])
            : ("burst-client", ["dotnet", typeof(BurstClient).Assembly.Location, .. arguments]);
        foreach (var argument in (string[])["-c", "1", .. command])
        {
            start.ArgumentList.Add(argument);
        }

        ServerProcess.ApplyEnvironment(start, new Dictionary<string, string>());
        using var client = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + name + ".");
        try
        {
            string? line;
            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(BurstDeadlineSeconds + 30)))
            {
                do
                {
                    line = await client.StandardOutput.ReadLineAsync(limit.Token);
                }
                while (line is not null && !line.StartsWith('{'));
            }

            if (line is null)
            {
                throw new InvalidOperationException(name + " exited without a result (exit code " + (client.HasExited ? Invariant(client.ExitCode) : "?") + ").");
            }

            using var document = JsonDocument.Parse(line);
            var summary = document.RootElement;
            var connected = summary.GetProperty("connected").GetInt32();

            // The server holds a descriptor per accepted connection; one that lags behind its listen queue gets 10 s.
            var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
            while (ProcessStats.OpenDescriptors(serverProcess.Pid) - descriptorsBefore < connected && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(100);
            }

            var accepted = ProcessStats.OpenDescriptors(serverProcess.Pid) - descriptorsBefore;
            var countersAfter = await Nstat.ReadAsync();
            return new BurstResult(
                summary.GetProperty("connectsPerSec").GetDouble(),
                summary.GetProperty("seconds").GetDouble(),
                connected,
                summary.GetProperty("failed").GetInt32(),
                accepted,
                summary.GetProperty("connectP99Ms").GetDouble(),
                summary.GetProperty("connectMaxMs").GetDouble(),
                countersBefore is { } b && countersAfter is { } a ? a.Overflows - b.Overflows : null,
                countersBefore is { } b2 && countersAfter is { } a2 ? a2.Drops - b2.Drops : null);
        }
        finally
        {
            // End of standard input tells the client to close its connections and exit.
            client.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await client.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                client.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// TLS handshakes per second: a fresh server in its TLS mode (raw framing) and <c>handshake-client</c> (pinned to
    /// core 1, .NET's SslStream, full handshakes) with <see cref="HarnessOptions.HandshakeConcurrency"/> loops of
    /// connect, handshake, one 32-byte echo and a clean close; CPU shares over the middle of the measured window.
    /// </summary>
    private static async Task<HandshakeResult> MeasureHandshakesAsync(PeerServer server, HarnessOptions options)
    {
        using var serverProcess = await ServerProcess.StartAsync(server, "raw", stats: false, tls: true);
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-c", "1", "dotnet", typeof(HandshakeClient).Assembly.Location, .. HandshakeClientArguments(Invariant(serverProcess.Port), options)])
        {
            start.ArgumentList.Add(argument);
        }

        ServerProcess.ApplyEnvironment(start, new Dictionary<string, string>());
        using var client = Process.Start(start) ?? throw new InvalidOperationException("Could not start handshake-client.");
        var output = client.StandardOutput.ReadToEndAsync();
        await Task.Delay(TimeSpan.FromSeconds(options.WarmUp + 0.5));
        var windowStart = Stopwatch.GetTimestamp();
        var serverCpu0 = ProcessStats.CpuSeconds(serverProcess.Pid);
        var clientCpu0 = ProcessStats.CpuSeconds(client.Id);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.5, options.Duration - 1)));
        var serverCpu1 = ProcessStats.CpuSeconds(serverProcess.Pid);
        var clientCpu1 = ProcessStats.CpuSeconds(client.Id);
        var window = Stopwatch.GetElapsedTime(windowStart).TotalSeconds;
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(HandshakeClientGraceSeconds)))
        {
            try
            {
                await client.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                client.Kill(entireProcessTree: true);
                throw new TimeoutException($"handshake-client against {server.Name} did not finish {HandshakeClientGraceSeconds} s after its measured window.");
            }
        }

        var json = (await output).Split('\n').LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException($"handshake-client printed no summary against {server.Name} (exit code {client.ExitCode}).");
        using var document = JsonDocument.Parse(json);
        var summary = document.RootElement;
        if (summary.GetProperty("handshakes").GetInt32() == 0)
        {
            throw new InvalidOperationException($"handshake-client completed no handshake against {server.Name}: {json}");
        }

        return new HandshakeResult(
            summary.GetProperty("handshakesPerSec").GetDouble(),
            summary.GetProperty("handshakeP50Ms").GetDouble(),
            summary.GetProperty("handshakeP99Ms").GetDouble(),
            summary.GetProperty("errors").GetInt32(),
            summary.GetProperty("session").GetString(),
            (serverCpu1 - serverCpu0) / window,
            (clientCpu1 - clientCpu0) / window);
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

    private static BurstResult Median(List<BurstResult> runs) => new(
        MedianOf(runs.Select(r => r.ConnectsPerSecond)),
        MedianOf(runs.Select(r => r.Seconds)),
        (int)MedianOf(runs.Select(r => (double)r.Connected)),
        (int)MedianOf(runs.Select(r => (double)r.Failed)),
        (int)MedianOf(runs.Select(r => (double)r.Accepted)),
        MedianOf(runs.Select(r => r.ConnectP99Ms)),
        MedianOf(runs.Select(r => r.ConnectMaxMs)),
        runs.All(r => r.ListenOverflows is not null) ? (long)MedianOf(runs.Select(r => (double)r.ListenOverflows!.Value)) : null,
        runs.All(r => r.ListenDrops is not null) ? (long)MedianOf(runs.Select(r => (double)r.ListenDrops!.Value)) : null);

    private static HandshakeResult Median(List<HandshakeResult> runs) => new(
        MedianOf(runs.Select(r => r.HandshakesPerSecond)),
        MedianOf(runs.Select(r => r.P50Ms)),
        MedianOf(runs.Select(r => r.P99Ms)),
        (int)MedianOf(runs.Select(r => (double)r.Errors)),
        runs.Select(r => r.Session).FirstOrDefault(s => s is not null),
        MedianOf(runs.Select(r => r.ServerCpu)),
        MedianOf(runs.Select(r => r.ClientCpu)));

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

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

/// <summary>
/// The connection burst against one server: connects/s as the client saw them (connected / time from the first connect
/// to the last completed one), connect-time tail, connections the server held 10 s later, and the kernel's listen-queue
/// overflows and drops over the burst (<see langword="null"/> without nstat).
/// </summary>
internal sealed record BurstResult(
    double ConnectsPerSecond,
    double Seconds,
    int Connected,
    int Failed,
    int Accepted,
    double ConnectP99Ms,
    double ConnectMaxMs,
    long? ListenOverflows,
    long? ListenDrops);

/// <summary>Everything one compare run measured (medians over its runs), and the measurements that failed.</summary>
internal sealed record CompareResults(
    List<Summary> Summaries,
    Dictionary<PeerServer, IdleResult> Idle,
    Dictionary<PeerServer, BurstResult> Burst,
    Dictionary<PeerServer, HandshakeResult> Handshakes,
    double? AllocatedBytesPerFrame,
    List<string> Failures);
