using System.Globalization;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// The compare command line. <c>Generator</c> is the load generator of the throughput and latency scenarios:
/// <see cref="GeneratorTcptk"/> (<c>tcptk bench</c>, .NET) or <see cref="GeneratorC"/> (Peers/CEpoll/bench_client.c,
/// issue #17; TLS scenarios keep <c>tcptk bench</c>), and of the connection burst (the .NET <c>burst-client</c>, or
/// Peers/CEpoll/burst_client.c with <see cref="GeneratorC"/>).
/// </summary>
internal sealed record HarnessOptions(
    int Runs,
    double Duration,
    double WarmUp,
    string[] ServerIds,
    string[] ScenarioIds,
    int IdleConnections,
    int BurstConnections,
    int BurstConcurrency,
    int HandshakeConcurrency,
    string? Out,
    bool Build,
    string Generator = HarnessOptions.GeneratorTcptk)
{
    /// <summary>
    /// Measurements that are not a generator scenario: idle memory, the connection burst, allocation per frame, and TLS
    /// handshakes per second (issue #12).
    /// </summary>
    public const string Idle = "idle";
    public const string Burst = "burst";
    public const string Alloc = "alloc";
    public const string TlsHandshake = "tls-handshake";

    /// <summary>The load generators (<c>--generator</c>).</summary>
    public const string GeneratorTcptk = "tcptk";
    public const string GeneratorC = "c";

    public static readonly string[] AllServerIds = [.. PeerServer.All("").Select(s => s.Id)];

    /// <summary>The servers measured when <c>--servers</c> is not given: every one but the opt-in rows.</summary>
    public static readonly string[] DefaultServerIds = [.. PeerServer.All("").Where(s => !s.OptIn).Select(s => s.Id)];
    public static readonly string[] AllScenarioIds = [.. Scenario.All.Select(s => s.Id), Idle, Burst, Alloc, TlsHandshake];

    public static string Usage => string.Join(
        '\n',
        "Usage: compare [--runs 3] [--duration 5] [--warmup 2] [--servers ID,...] [--scenarios ID,...]",
        "               [--idle 10000] [--burst 10000] [--burst-concurrency 256] [--handshake-concurrency 16]",
        "               [--generator tcptk|c] [--out PATH] [--no-build]",
        "  --servers    " + string.Join(',', AllServerIds) + " (default: all but " + string.Join(',', AllServerIds.Except(DefaultServerIds)) + ")",
        "  tcptoolkit-metrics is tcptoolkit with a MeterListener on every TcpToolkit instrument (a startup hook): select it",
        "               with tcptoolkit to measure what the metrics cost (issue 14)",
        "  --scenarios  " + string.Join(',', AllScenarioIds) + " (default: all)",
        "  --idle N     idle connections held open for the memory measurement (0 = skip)",
        "  --burst N    connections opened as fast as possible, --burst-concurrency at a time (0 = skip)",
        "  --handshake-concurrency N  connect + TLS handshake + echo + close loops of tls-handshake",
        "  tls-bandwidth and tls-handshake run only against the servers that serve TLS (" + string.Join(',', PeerServer.All("").Where(s => s.SupportsTls).Select(s => s.Id)) + ")",
        "  --generator  tcptk: tcptk bench (.NET; default); c: the C generator (Peers/CEpoll/bench_client.c,",
        "               compiled with gcc on first use, as the c-epoll server), except for tls-bandwidth; also",
        "               picks the burst's client: .NET burst-client, or with c Peers/CEpoll/burst_client.c",
        "  --out PATH   write the report there (and the chart next to it, .svg); default docs/benchmarks.md,",
        "               but only when every scenario was selected");

    /// <summary>Every scenario selected: the run can replace the committed report.</summary>
    public bool IsComplete => AllScenarioIds.All(ScenarioIds.Contains);

    public bool Has(string scenarioId) => ScenarioIds.Contains(scenarioId);

    public static HarnessOptions? Parse(string[] args, TextWriter error)
    {
        var options = new HarnessOptions(3, 5.0, 2.0, DefaultServerIds, AllScenarioIds, 10_000, 10_000, 256, 16, null, Build: true);
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException(args[i] + " needs a value.");
                options = args[i] switch
                {
                    "--runs" => options with { Runs = AtLeast(int.Parse(Value(), CultureInfo.InvariantCulture), 1, "--runs") },
                    "--duration" => options with { Duration = AtLeast(double.Parse(Value(), CultureInfo.InvariantCulture), 1, "--duration") },
                    "--warmup" => options with { WarmUp = AtLeast(double.Parse(Value(), CultureInfo.InvariantCulture), 0, "--warmup") },
                    "--servers" => options with { ServerIds = List(Value(), AllServerIds, "--servers") },
                    "--scenarios" => options with { ScenarioIds = List(Value(), AllScenarioIds, "--scenarios") },
                    "--idle" => options with { IdleConnections = AtLeast(int.Parse(Value(), CultureInfo.InvariantCulture), 0, "--idle") },
                    "--burst" => options with { BurstConnections = AtLeast(int.Parse(Value(), CultureInfo.InvariantCulture), 0, "--burst") },
                    "--burst-concurrency" => options with { BurstConcurrency = AtLeast(int.Parse(Value(), CultureInfo.InvariantCulture), 1, "--burst-concurrency") },
                    "--handshake-concurrency" => options with { HandshakeConcurrency = AtLeast(int.Parse(Value(), CultureInfo.InvariantCulture), 1, "--handshake-concurrency") },
                    "--out" => options with { Out = Path.GetFullPath(Value()) },
                    "--no-build" => options with { Build = false },
                    "--generator" => options with { Generator = Value() is var generator && generator is GeneratorTcptk or GeneratorC ? generator : throw new FormatException("--generator must be tcptk or c.") },
                    _ => throw new FormatException("Unknown option " + args[i] + "."),
                };
            }
        }
        catch (FormatException ex)
        {
            error.WriteLine(ex.Message);
            error.WriteLine(Usage);
            return null;
        }

        return options;
    }

    private static T AtLeast<T>(T value, T min, string name)
        where T : System.Numerics.INumber<T> =>
        value >= min ? value : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{name} must be at least {min}."));

    /// <summary>A comma-separated selection, kept in the table's order (the report's order), duplicates dropped.</summary>
    private static string[] List(string value, string[] known, string name)
    {
        var picked = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = picked.Except(known).ToArray();
        if (unknown.Length > 0 || picked.Length == 0)
        {
            throw new FormatException($"{name}: unknown {string.Join(", ", unknown)}; choose from {string.Join(',', known)}.");
        }

        return [.. known.Where(picked.Contains)];
    }
}
