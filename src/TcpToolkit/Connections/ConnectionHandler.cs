namespace TcpToolkit.Connections;

/// <summary>
/// Serves one connection: a server's handler, the end of a middleware pipeline, or a middleware's <c>next</c>.
/// </summary>
/// <param name="connection">The connection; its <see cref="Connection.Transport"/> is what the layers above see.</param>
/// <param name="cancellationToken">Fires when the owner (the server, or the client) stops.</param>
/// <returns>A task that completes when the connection has been served; the owner then closes it.</returns>
public delegate Task ConnectionHandler(Connection connection, CancellationToken cancellationToken);
