using TcpToolkit.Connections;

namespace TcpToolkit.Hosting;

/// <summary>
/// Serves the connections of a hosted TCP server: a class resolved from dependency injection
/// (<see cref="TcpServerBuilder.UseHandler{THandler}"/>), so it can take loggers, options and services in its
/// constructor. It is resolved once, when the server starts, and serves every connection, concurrently.
/// </summary>
public interface ITcpConnectionHandler
{
    /// <summary>Serves one connection, as a <see cref="ConnectionHandler"/> does.</summary>
    /// <param name="connection">The connection, after the server's middleware (TLS, the PROXY protocol, yours).</param>
    /// <param name="cancellationToken">Fires when the host stops: finish the current exchange and return.</param>
    /// <returns>A task that completes when the connection has been served; the server then closes it.</returns>
    Task HandleConnectionAsync(Connection connection, CancellationToken cancellationToken);
}
