using System.Net;
using System.Threading.Channels;
using TcpToolkit.Connections;
using TcpToolkit.Messaging;

namespace TcpToolkit.IntegrationTests.Messaging;

/// <summary>
/// A MessageServer on one <see cref="TestTransport"/> (a TcpServer on loopback, or an InMemoryServer), remembering
/// the server-side connections so tests can break them, and creating clients that connect over the same transport.
/// </summary>
internal sealed class MessagingHarness : IAsyncDisposable
{
    private readonly Channel<Connection> _connections = Channel.CreateUnbounded<Connection>();
    private TestHost _host = null!;

    private MessagingHarness()
    {
    }

    public TestTransport Transport => _host.Transport;

    public EndPoint EndPoint => _host.EndPoint;

    /// <summary>Gets the number of connections the message server is serving.</summary>
    public int ConnectionCount => _host.ConnectionCount;

    /// <summary>Gets what a client's connect to the stopped server throws.</summary>
    public Type ConnectFailureType => _host.ConnectFailureType;

    public static async Task<MessagingHarness> StartAsync(
        TestTransport transport,
        Func<RequestContext, CancellationToken, ValueTask> handler,
        MessageServerOptions? options = null)
    {
        var messages = new MessageServer(handler, options);
        var harness = new MessagingHarness();
        harness._host = await TestHost.StartAsync(
            transport,
            (connection, stopping) =>
            {
                harness._connections.Writer.TryWrite(connection);
                return messages.HandleConnectionAsync(connection, stopping);
            });
        return harness;
    }

    /// <summary>
    /// Creates a client of this server: over sockets it opens TCP connections itself (no factory: the default path);
    /// in memory <see cref="MessageClientOptions.ConnectionFactory"/> is the harness's server.
    /// </summary>
    public MessageClient CreateClient(MessageClientOptions? options = null)
    {
        options ??= new MessageClientOptions();
        options.ConnectionFactory = _host.ClientFactory;
        return new MessageClient(EndPoint, options);
    }

    /// <summary>Opens a raw connection to the message server, for tests that speak the envelope byte by byte.</summary>
    public ValueTask<Connection> ConnectAsync(CancellationToken cancellationToken) => _host.ConnectAsync(cancellationToken);

    public ValueTask<Connection> NextConnectionAsync(CancellationToken cancellationToken) => _connections.Reader.ReadAsync(cancellationToken);

    /// <summary>Stops the server: its connections close and connects fail until <see cref="RestartAsync"/>.</summary>
    public Task StopAsync() => _host.StopAsync();

    /// <summary>Starts the server again, on the same port over sockets.</summary>
    public Task RestartAsync() => _host.RestartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();
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
    /// Waits for the next timer the client creates with a due time (the backoff): the client's one clock also runs the
    /// connect and close timeouts of the TCP connections it opens, and each connection's own timer (created unarmed,
    /// then moved to whatever is due), and those are skipped.
    /// </summary>
    public static async Task<TimeSpan> NextClientTimerAsync(this CountingTimeProvider time, MessageClientOptions options, CancellationToken cancellationToken)
    {
        while (true)
        {
            var due = await time.NextTimerAsync(cancellationToken);
            if (due != options.Transport.ConnectTimeout && due != options.Transport.CloseTimeout && due != Timeout.InfiniteTimeSpan)
            {
                return due;
            }
        }
    }
}
