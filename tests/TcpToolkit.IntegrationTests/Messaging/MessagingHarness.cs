using System.Net;
using System.Threading.Channels;
using TcpToolkit.Connections;
using TcpToolkit.Messaging;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>A TcpServer running a MessageServer on loopback, remembering the server-side connections so tests can break them.</summary>
internal sealed class MessagingHarness : IAsyncDisposable
{
    private readonly Channel<Connection> _connections = Channel.CreateUnbounded<Connection>();

    private MessagingHarness(TcpServer server)
    {
        Server = server;
    }

    public TcpServer Server { get; private set; }

    public EndPoint EndPoint => Server.LocalEndPoint;

    public static async Task<MessagingHarness> StartAsync(
        Func<RequestContext, CancellationToken, ValueTask> handler,
        MessageServerOptions? options = null,
        EndPoint? endPoint = null)
    {
        var messages = new MessageServer(handler, options);
        MessagingHarness? harness = null;
        var server = await TestServers.StartAsync(
            (connection, stopping) =>
            {
                harness!._connections.Writer.TryWrite(connection);
                return messages.HandleConnectionAsync(connection, stopping);
            },
            endPoint: endPoint);
        harness = new MessagingHarness(server);
        return harness;
    }

    public ValueTask<Connection> NextConnectionAsync(CancellationToken cancellationToken) => _connections.Reader.ReadAsync(cancellationToken);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>Records a client's state changes in order.</summary>
internal sealed class StateRecorder
{
    private readonly Channel<MessageClientStateChangedEventArgs> _changes = Channel.CreateUnbounded<MessageClientStateChangedEventArgs>();
    private readonly List<MessageClientState> _all = [];

    public StateRecorder(MessageClient client)
    {
        client.StateChanged += (_, e) =>
        {
            lock (_all)
            {
                _all.Add(e.State);
            }

            _changes.Writer.TryWrite(e);
        };
    }

    public IReadOnlyList<MessageClientState> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public ValueTask<MessageClientStateChangedEventArgs> NextAsync(CancellationToken cancellationToken) => _changes.Reader.ReadAsync(cancellationToken);

    public async Task<MessageClientStateChangedEventArgs> WaitForAsync(MessageClientState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            var change = await NextAsync(cancellationToken);
            if (change.State == state)
            {
                return change;
            }
        }
    }
}

/// <summary>Timers of a message client on its one clock.</summary>
internal static class ClientClock
{
    /// <summary>
    /// Waits for the next timer the client itself creates (backoff, request timeout, heartbeat): the client's one clock
    /// also runs the connect and close timeouts of the TCP connections it opens, and those are skipped.
    /// </summary>
    public static async Task<TimeSpan> NextClientTimerAsync(this CountingTimeProvider time, MessageClientOptions options, CancellationToken cancellationToken)
    {
        while (true)
        {
            var due = await time.NextTimerAsync(cancellationToken);
            if (due != options.Transport.ConnectTimeout && due != options.Transport.CloseTimeout)
            {
                return due;
            }
        }
    }
}
