namespace TcpToolkit.IntegrationTests;

/// <summary>
/// Tests that measure the whole process (open sockets, managed memory) run alone, after the parallel tests: any other
/// test running meanwhile allocates and pools buffers, which such a measurement would count as a leak.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeasurements
{
    public const string Name = "Process-wide measurements";
}
