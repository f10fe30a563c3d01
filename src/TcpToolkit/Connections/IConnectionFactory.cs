using System.Net;

namespace TcpToolkit.Connections;

/// <summary>
/// Opens client connections: a TCP client (<c>TcpToolkit.Transport.TcpClient</c>), an in-memory server
/// (<c>TcpToolkit.InMemory.InMemoryServer</c>) in tests, or anything that yields a <see cref="Connection"/>. Layers
/// that connect (the resilient messaging client) take this, not a concrete transport.
/// </summary>
public interface IConnectionFactory
{
    /// <summary>Opens a connection to <paramref name="endPoint"/>, its client middleware already run.</summary>
    /// <param name="endPoint">Where to connect.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The open connection; the caller owns it and disposes it.</returns>
    ValueTask<Connection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default);
}
