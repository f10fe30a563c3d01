namespace TcpToolkit.Cli.Bench;

/// <summary>What <c>tcptk bench</c> was asked to do; <paramref name="Tls"/> <see langword="null"/> is plain TCP.</summary>
internal sealed record BenchSettings(
    string Host,
    int Port,
    Codec Codec,
    int Connections,
    int Depth,
    int Size,
    TimeSpan Duration,
    TimeSpan WarmUp,
    TlsSettings? Tls = null);
