
namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Tests that measure round trips against issue #11's 100 ms bound run alone: xunit runs a collection with
/// parallelization disabled after the parallel ones, so the figures are the engine's, not those of a bulk transfer
/// another test runs on the same two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RoundTripLatency
{
    public const string Name = "Round-trip latency";
}
