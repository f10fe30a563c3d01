namespace TcpToolkit.Cli.Bench;

/// <summary>Where a run is; the runner moves it forward, every connection reads it once per batch.</summary>
internal sealed class BenchPhase
{
    public const int WarmUp = 0;
    public const int Measure = 1;
    public const int Done = 2;

    private volatile int _current;

    public int Current => _current;

    public void MoveTo(int phase) => _current = phase;
}
