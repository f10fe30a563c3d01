namespace TcpToolkit.Connections;

/// <summary>
/// An ordered list of connection middleware, in the spirit of Kestrel's and Bedrock's connection builders: each
/// middleware gets the next handler and returns a handler that wraps it, so it can replace the connection's
/// <see cref="Connection.Transport"/> (TLS), read a header first (the PROXY protocol), count, log or limit, and clean
/// up after the rest of the pipeline returns. The first middleware added is the outermost: it sees the transport's
/// bytes first.
/// </summary>
/// <example>
/// <code>
/// options.Middleware.Use(next => async (connection, cancellationToken) =>
/// {
///     logger.LogInformation("{Id} from {Remote}", connection.Id, connection.RemoteEndPoint);
///     await next(connection, cancellationToken);
/// });
/// </code>
/// </example>
public sealed class ConnectionBuilder
{
    private readonly List<Func<ConnectionHandler, ConnectionHandler>> _middleware = [];

    /// <summary>Gets the number of middleware added.</summary>
    public int Count => _middleware.Count;

    /// <summary>Adds a middleware after (inside) the ones already added.</summary>
    /// <param name="middleware">Gets the next handler, returns the handler that wraps it.</param>
    /// <returns>This builder, for chaining.</returns>
    public ConnectionBuilder Use(Func<ConnectionHandler, ConnectionHandler> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        _middleware.Add(middleware);
        return this;
    }

    /// <summary>Builds the pipeline around <paramref name="handler"/>.</summary>
    /// <param name="handler">The innermost handler: the application.</param>
    /// <returns>The outermost handler; <paramref name="handler"/> itself when no middleware was added.</returns>
    public ConnectionHandler Build(ConnectionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        for (var i = _middleware.Count - 1; i >= 0; i--)
        {
            handler = _middleware[i](handler) ?? throw new InvalidOperationException("A connection middleware returned null.");
        }

        return handler;
    }
}
