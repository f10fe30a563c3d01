namespace TcpToolkit.Cli.Bench;

/// <summary>What <c>tcptk bench</c> was asked to do.</summary>
internal sealed record BenchSettings(
    string Host,
    int Port,
    Codec Codec,
    int Connections,
    int Depth,
    int Size,
    TimeSpan Duration,
    TimeSpan WarmUp);
