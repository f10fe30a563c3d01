namespace TcpToolkit.IntegrationTests;

/// <summary>
/// Tests that measure process-wide figures (open sockets, managed memory) run alone: xunit runs a collection with
/// parallelization disabled after the parallel ones, with nothing else in flight.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeasurements
{
    public const string Name = "Process-wide measurements";
}
