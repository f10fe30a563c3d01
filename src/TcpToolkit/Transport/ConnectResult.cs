using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;

namespace TcpToolkit.Transport;

/// <summary>
/// The outcome of <see cref="TcpClient.TryConnectAsync(System.Net.EndPoint, CancellationToken)"/>, the guide's
/// <c>connect_ex</c>: either a connection or the socket error, without an exception.
/// </summary>
public readonly struct ConnectResult
{
    internal ConnectResult(TcpConnection? connection, SocketError socketError)
    {
        Connection = connection;
        SocketError = socketError;
    }

    /// <summary>Gets the connection, when the attempt succeeded; the caller owns it and must dispose it.</summary>
    public TcpConnection? Connection { get; }

    /// <summary>Gets <see cref="SocketError.Success"/>, or why the attempt failed (<see cref="SocketError.TimedOut"/> for the connect timeout).</summary>
    public SocketError SocketError { get; }

    /// <summary>Gets whether the attempt succeeded.</summary>
    [MemberNotNullWhen(true, nameof(Connection))]
    public bool IsConnected => Connection is not null;
}
