namespace TcpToolkit.Transport;

/// <summary>What <see cref="TcpServer.StopAsync"/> did with the connections that were open.</summary>
/// <param name="DrainedConnections">Connections whose handlers finished within the shutdown timeout.</param>
/// <param name="AbortedConnections">Connections aborted because their handlers did not finish in time.</param>
public readonly record struct ServerStopResult(int DrainedConnections, int AbortedConnections);
