namespace TcpToolkit.Benchmarks.Compare;

/// <summary>One load shape, run with the same generator settings against every server.</summary>
internal sealed record Scenario(string Name, string Framing, int Connections, int Depth, int Size)
{
    public static readonly Scenario[] All =
    [
        new("ping-pong", "length32", 1, 1, 32),
        new("small messages", "length32", 64, 16, 32),
        new("bandwidth", "length32", 16, 4, 16 * 1024),
        new("raw bytes", "raw", 64, 16, 32),
    ];

    public string Describe() => $"C={Connections}, D={Depth}, {(Size >= 1024 ? Size / 1024 + " KiB" : Size + " B")}, {Framing}";
}

/// <summary>A server under test: how to start it.</summary>
internal sealed record PeerServer(string Name, string ProjectPath, string AssemblyName, string[] ExtraArgs)
{
    public static PeerServer[] All(string root) =>
    [
        new("TcpToolkit", Path.Combine(root, "samples/EchoServer"), "EchoServer", ["--host", "127.0.0.1", "--quiet"]),
        new("Kestrel", Path.Combine(root, "tests/TcpToolkit.Benchmarks/Peers/KestrelEcho"), "KestrelEcho", []),
        new("Socket loop", Path.Combine(root, "tests/TcpToolkit.Benchmarks/Peers/SocketEcho"), "SocketEcho", []),
        new("Pipelines.Sockets.Unofficial", Path.Combine(root, "tests/TcpToolkit.Benchmarks/Peers/PsuEcho"), "PsuEcho", []),
    ];

    public string AssemblyPath => Path.Combine(ProjectPath, "bin/Release/net10.0", AssemblyName + ".dll");
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

/// <summary>The medians of a scenario's runs against one server.</summary>
internal sealed record Summary(Scenario Scenario, PeerServer Server, int Runs, RunResult Median);
