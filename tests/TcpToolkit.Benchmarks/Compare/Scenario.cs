namespace TcpToolkit.Benchmarks.Compare;

/// <summary>One load shape, run with the same generator settings against every server.</summary>
/// <param name="Id">The name on the command line (<c>--scenarios</c>).</param>
/// <param name="Name">The name in the report.</param>
/// <param name="Framing">The wire format (<c>--framing</c> of the generator and of every server).</param>
/// <param name="Connections">Connections the generator opens.</param>
/// <param name="Depth">Messages in flight per connection.</param>
/// <param name="Size">Payload bytes per message.</param>
/// <param name="Tls">
/// Over TLS (issue #12): each server started with its <see cref="PeerServer.TlsArguments"/> (servers without any are
/// skipped) and the generator with <c>--tls --insecure</c> (the servers' certificates are throwaway self-signed ones).
/// </param>
internal sealed record Scenario(string Id, string Name, string Framing, int Connections, int Depth, int Size, bool Tls = false)
{
    public static readonly Scenario[] All =
    [
        new("ping-pong", "ping-pong", "length32", 1, 1, 32),
        new("small", "small messages", "length32", 64, 16, 32),
        new("bandwidth", "bandwidth", "length32", 16, 4, 16 * 1024),
        new("raw", "raw bytes", "raw", 64, 16, 32),
        new("tls-bandwidth", "TLS bandwidth", "length32", 16, 4, 16 * 1024, Tls: true),
    ];

    public static Scenario SmallMessages => All[1];

    public string Describe() => $"C={Connections}, D={Depth}, {(Size >= 1024 ? Size / 1024 + " KiB" : Size + " B")}, {Framing}{(Tls ? ", TLS" : "")}";

    /// <summary>The servers this scenario runs against: every selected one, or for TLS those that serve TLS.</summary>
    public PeerServer[] ServersOf(PeerServer[] servers) => Tls ? [.. servers.Where(s => s.SupportsTls)] : servers;
}

/// <summary>
/// A server under test, one row of the table in <see cref="All"/>: the only place that says how each server is started.
/// The harness runs <c>taskset -c 0 dotnet ASSEMBLY ARGUMENTS... --port N --framing F</c> (a <see cref="Native"/>
/// server: <c>taskset -c 0 PROGRAM ARGUMENTS... --port N --framing F</c>) with <see cref="Environment"/> added to a
/// copy of its own environment from which the inline-completions variable has been removed.
/// </summary>
/// <param name="Id">The name on the command line (<c>--servers</c>).</param>
/// <param name="Name">The name in the report.</param>
/// <param name="ProjectPath">The project the harness builds (a <see cref="Native"/> server: the folder of its C source).</param>
/// <param name="AssemblyName">The project's assembly, run with <c>dotnet</c> (a <see cref="Native"/> server: its C source's name without <c>.c</c>).</param>
/// <param name="Arguments">Arguments before <c>--port</c> and <c>--framing</c> (a sub-command, the server's mode).</param>
/// <param name="Environment">Variables set for this server's process only.</param>
/// <param name="RequiredOption">
/// An option the server must list in its <c>--help</c>; checked before anything is measured, so a build that lacks it
/// fails at once with a clear message instead of minutes into the run.
/// </param>
/// <param name="TlsArguments">
/// Arguments (after <see cref="Arguments"/>) that make the server speak TLS with a throwaway self-signed certificate
/// for the TLS measurements, or <see langword="null"/> for a server without TLS (skipped by them).
/// </param>
/// <param name="Native">
/// A C program rather than a .NET project: compiled by the harness with gcc (<see cref="NativeBuild"/>) when missing or
/// older than its source, run as it is.
/// </param>
/// <param name="AlsoBuild">Another project the row needs built (a startup hook), or <see langword="null"/>.</param>
/// <param name="OptIn">Left out of the default selection: measured only when <c>--servers</c> names it.</param>
internal sealed record PeerServer(
    string Id,
    string Name,
    string ProjectPath,
    string AssemblyName,
    string[] Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string? RequiredOption = null,
    string[]? TlsArguments = null,
    bool Native = false,
    string? AlsoBuild = null,
    bool OptIn = false)
{
    /// <summary>.NET's switch that runs socket completions on its epoll thread instead of the thread pool.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>.NET's list of startup hooks: assemblies whose <c>StartupHook.Initialize</c> runs before <c>Main</c>.</summary>
    public const string StartupHooksVariable = "DOTNET_STARTUP_HOOKS";

    public const string TcpToolkit = "tcptoolkit";
    public const string TcpToolkitMetrics = "tcptoolkit-metrics";
    public const string TcpToolkitFastest = "tcptoolkit-fastest";
    public const string Kestrel = "kestrel";
    public const string KestrelInline = "kestrel-inline";
    public const string CEpoll = "c-epoll";

    private static readonly Dictionary<string, string> NoVariables = [];

    /// <summary>The TLS switch of tcptk echo-server and KestrelEcho: a throwaway self-signed certificate for localhost, made at start.</summary>
    private static readonly string[] Tls = ["--tls"];

    /// <summary>Every server, in report order.</summary>
    public static PeerServer[] All(string root)
    {
        var cli = Path.Combine(root, "src/TcpToolkit.Cli");
        var peers = Path.Combine(root, "tests/TcpToolkit.Benchmarks/Peers");
        return
        [
            // tcptk echo-server with its defaults: what a user gets. With --tls: TcpToolkit's TLS middleware (UseTls).
            new(TcpToolkit, "TcpToolkit", cli, "tcptk", ["echo-server", "--host", "127.0.0.1"], NoVariables, TlsArguments: Tls),

            // The fastest mode (issue #11): epoll loops that never block, trading an idle core for latency. The option is
            // checked in tcptk's help first, so the harness needs no change once the option lands.
            new(TcpToolkitFastest, "TcpToolkit-fastest", cli, "tcptk", ["echo-server", "--host", "127.0.0.1", "--busy-poll", "always"], NoVariables, "--busy-poll", Tls),

            // With --tls: the same connection handler behind Kestrel's own UseHttps (issue #12's baseline).
            new(Kestrel, "Kestrel", Path.Combine(peers, "KestrelEcho"), "KestrelEcho", [], NoVariables, TlsArguments: Tls),

            // Kestrel's documented fast mode: UnsafePreferInlineScheduling plus inline socket completions in the runtime.
            new(KestrelInline, "Kestrel-inline", Path.Combine(peers, "KestrelEcho"), "KestrelEcho", ["--inline"], new Dictionary<string, string> { [InlineCompletionsVariable] = "1" }, TlsArguments: Tls),
            new("socket", "Socket loop", Path.Combine(peers, "SocketEcho"), "SocketEcho", [], NoVariables),
            new("psu", "Pipelines.Sockets.Unofficial", Path.Combine(peers, "PsuEcho"), "PsuEcho", [], NoVariables),

            // Issue #17's reference: a single-threaded epoll echo server in C (Peers/CEpoll/echo_server.c), what the
            // machine does without a runtime.
            new(CEpoll, "C epoll (one thread)", Path.Combine(peers, "CEpoll"), "echo_server", ["--host", "127.0.0.1"], NoVariables, Native: true),

            // Issue 14: the same server with a MeterListener on every TcpToolkit instrument, attached by a startup hook
            // (Peers/MetricsHook) so tcptk is unchanged; its msg/s against tcptoolkit's is the metrics' cost. Opt-in,
            // and last, so the other rows keep their chart colours.
            new(
                TcpToolkitMetrics,
                "TcpToolkit (metrics on)",
                cli,
                "tcptk",
                ["echo-server", "--host", "127.0.0.1"],
                new Dictionary<string, string> { [StartupHooksVariable] = Path.Combine(peers, "MetricsHook/bin/Release/net10.0/MetricsHook.dll") },
                TlsArguments: Tls,
                AlsoBuild: Path.Combine(peers, "MetricsHook"),
                OptIn: true),
        ];
    }

    /// <summary>
    /// The EchoServer sample, which prints frames echoed and bytes allocated once a second with <c>--stats</c>: the
    /// allocation measurement runs it (its echo loop is the same as <c>tcptk echo-server</c>'s), no table row does.
    /// </summary>
    public static PeerServer AllocationProbe(string root) =>
        new("echoserver-sample", "EchoServer sample (--stats)", Path.Combine(root, "samples/EchoServer"), "EchoServer", ["--host", "127.0.0.1", "--quiet"], NoVariables);

    public string AssemblyPath => Path.Combine(ProjectPath, "bin/Release/net10.0", AssemblyName + ".dll");

    /// <summary>What must exist before the server can start: its assembly, or for a <see cref="Native"/> server its compiled program.</summary>
    public string ProgramPath => Native ? NativeBuild.OutputOf(SourcePath) : AssemblyPath;

    /// <summary>The C source of a <see cref="Native"/> server.</summary>
    public string SourcePath => Path.Combine(ProjectPath, AssemblyName + ".c");

    /// <summary>The command line up to <c>--port</c>: <c>dotnet ASSEMBLY</c> or the program, then <see cref="ArgumentsFor"/>.</summary>
    public string[] Command(bool tls) => Native ? [ProgramPath, .. ArgumentsFor(tls)] : ["dotnet", AssemblyPath, .. ArgumentsFor(tls)];

    /// <summary>Gets whether the TLS measurements run against this server.</summary>
    public bool SupportsTls => TlsArguments is not null;

    /// <summary>The server's arguments before <c>--port</c>: <see cref="Arguments"/>, then <see cref="TlsArguments"/> for TLS.</summary>
    public string[] ArgumentsFor(bool tls) => tls ? [.. Arguments, .. TlsArguments ?? throw new InvalidOperationException(Name + " does not serve TLS.")] : Arguments;

    /// <summary>The command line as the report shows it.</summary>
    public string Describe()
    {
        // A path (the startup hook's) by its file name: the report does not show the machine's directories.
        var variables = string.Concat(Environment.Select(v => v.Key + "=" + (Path.IsPathRooted(v.Value) ? ".../" + Path.GetFileName(v.Value) : v.Value) + " "));
        var program = Native ? AssemblyName + " " : "dotnet " + AssemblyName + ".dll ";
        return variables + program + string.Join(' ', [.. Arguments, "--port", "N", "--framing", "F"]).TrimStart();
    }
}

/// <summary>What one run of one scenario against one server measured.</summary>
internal sealed record RunResult(
    double MessagesPerSecond,
    double MegabytesPerSecond,
    double P50,
    double P99,
    double P999,
    double ServerCpu,
    double GeneratorCpu,
    double? AllocatedBytesPerFrame);

/// <summary>
/// The TLS handshake measurement against one server (<c>handshake-client</c>): full handshakes completed per second
/// (each with a 32-byte echo and a clean close), handshake time, the client's errors, and both processes' CPU shares.
/// </summary>
internal sealed record HandshakeResult(
    double HandshakesPerSecond,
    double P50Ms,
    double P99Ms,
    int Errors,
    string? Session,
    double ServerCpu,
    double ClientCpu);

/// <summary>The medians of a scenario's runs against one server.</summary>
internal sealed record Summary(Scenario Scenario, PeerServer Server, int Runs, RunResult Median);
