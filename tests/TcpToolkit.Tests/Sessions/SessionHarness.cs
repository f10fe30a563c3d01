using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.InMemory;
using TcpToolkit.Sessions;

namespace TcpToolkit.Tests.Sessions;

/// <summary>The application state the session tests attach to each session.</summary>
internal sealed record Member(string Name);

/// <summary>
/// A registry behind an <see cref="InMemoryServer"/>: each <see cref="ConnectAsync"/> returns the client end and the
/// server's session for it. The server's handler reads until the client's FIN (or until <see cref="Release"/>), so a
/// session lives as long as its client keeps its output open.
/// </summary>
internal sealed class SessionHarness : IAsyncDisposable
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Connection, FrameReader> s_readers = [];
    private readonly Channel<Session<Member>> _opened = Channel.CreateUnbounded<Session<Member>>();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SessionHarness(SessionRegistryOptions? options = null, bool readInput = true)
    {
        Registry = new SessionRegistry<Member>(options);
        Server = new InMemoryServer(async (connection, cancellationToken) =>
        {
            var session = connection.GetFeature<Session<Member>>() ?? throw new InvalidOperationException("No session feature.");
            await _opened.Writer.WriteAsync(session, cancellationToken);
            if (readInput)
            {
                await DrainInputAsync(connection, cancellationToken);
            }
            else
            {
                await _release.Task.WaitAsync(cancellationToken);
            }
        });
        Server.Middleware.Use(Registry.Middleware);
    }

    public static DelimiterFrameEncoder Lines { get; } = new(DelimiterCodecOptions.LineFeed);

    public SessionRegistry<Member> Registry { get; }

    public InMemoryServer Server { get; }

    public static ReadOnlyMemory<byte> Line(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Connects one client; sequential calls only (the sessions come back in connect order).</summary>
    public async Task<(Connection Client, Session<Member> Session)> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = await Server.ConnectAsync(cancellationToken);
        var session = await _opened.Reader.ReadAsync(cancellationToken);
        return (client, session);
    }

    /// <summary>Lets every handler that does not read its input return (<c>readInput: false</c>).</summary>
    public void Release() => _release.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Release();
        await Server.DisposeAsync();
        await Registry.DisposeAsync();
    }

    /// <summary>Reads the next <paramref name="count"/> lines from a client (one frame reader per client, kept between calls).</summary>
    public static async Task<List<string>> ReadLinesAsync(Connection client, int count, CancellationToken cancellationToken)
    {
        var reader = s_readers.GetValue(client, c => new FrameReader(c.Input));
        var decoder = new DelimiterFrameDecoder(DelimiterCodecOptions.LineFeed);
        var lines = new List<string>();
        while (lines.Count < count)
        {
            FrameReadResult<ReadOnlySequence<byte>> result;
            try
            {
                result = await reader.ReadAsync(decoder, cancellationToken);
            }
            catch (OperationCanceledException ex)
            {
                throw new TimeoutException($"{client.Id}: only {lines.Count} of {count} lines came in time; the last: {string.Join(" | ", lines.TakeLast(5))}", ex);
            }

            if (!result.HasFrame)
            {
                throw new InvalidOperationException($"The stream ended after {lines.Count} of {count} lines: {string.Join(" | ", lines)}");
            }

            lines.Add(Encoding.UTF8.GetString(result.Frame));
        }

        return lines;
    }

    /// <summary>Completes when the server side of the session has closed (the middleware has finished with it).</summary>
    public static Task ClosedAsync(Session<Member> session)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Connection.ConnectionClosed.Register(() => closed.TrySetResult());
        return closed.Task;
    }

    private static async Task DrainInputAsync(Connection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await connection.Input.ReadAsync(cancellationToken);
            }
            catch (ConnectionResetException)
            {
                return;
            }

            connection.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}
