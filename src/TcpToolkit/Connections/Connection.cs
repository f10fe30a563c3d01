using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using TcpToolkit.Diagnostics.Internal;

namespace TcpToolkit.Connections;

/// <summary>
/// A connection as every layer above the transport sees it: an id, a duplex pipe of bytes, the two endpoints, a token
/// that fires when it closes, and a typed feature bag that middleware fills. A TCP socket
/// (<c>TcpToolkit.Transport.TcpConnection</c>) is one implementation, an in-memory pair
/// (<c>TcpToolkit.InMemory.InMemoryServer</c>) another; framing, messaging and middleware work on this type only.
/// </summary>
/// <remarks>
/// <para>
/// Middleware (see <see cref="ConnectionBuilder"/>) may replace <see cref="Transport"/> with a layer over it (TLS, a
/// byte-counting or compressing pipe) and <see cref="RemoteEndPoint"/> (the PROXY protocol's original client). A layer
/// must propagate completion downwards: when its output is completed it flushes what it holds and completes the output
/// of the transport below it, so <see cref="CloseAsync"/>, which completes the outermost output, closes every layer.
/// </para>
/// <para>
/// Completing <see cref="Output"/> sends FIN after every pending byte (a half-close); the peer's FIN completes
/// <see cref="Input"/>. <see cref="CloseAsync"/> closes gracefully, <see cref="Abort(string?)"/> resets.
/// </para>
/// </remarks>
public abstract class Connection : IAsyncDisposable
{
    private KeyValuePair<Type, object>[] _features = [];

    /// <summary>Gets the identifier of this connection, unique in the process (for logs).</summary>
    public abstract string Id { get; }

    /// <summary>
    /// Gets or sets the duplex pipe the application reads and writes. Middleware replaces it with a layer over the
    /// previous value; the transport keeps its own pipe underneath.
    /// </summary>
    public abstract IDuplexPipe Transport { get; set; }

    /// <summary>
    /// Gets the bytes the peer sent (<see cref="Transport"/>'s input). The reader completes at the peer's FIN; a
    /// reset makes it throw <see cref="ConnectionResetException"/>, an abort on this side
    /// <see cref="ConnectionAbortedException"/>.
    /// </summary>
    public PipeReader Input => Transport.Input;

    /// <summary>
    /// Gets the writer for bytes to the peer (<see cref="Transport"/>'s output). A flush waits while the transport's
    /// write buffer is full (the peer does not read). Completing it sends FIN after the pending bytes.
    /// </summary>
    public PipeWriter Output => Transport.Output;

    /// <summary>Gets or sets the local endpoint.</summary>
    public abstract EndPoint? LocalEndPoint { get; set; }

    /// <summary>
    /// Gets or sets the remote endpoint: the peer, or the original client when a proxy in front said so (the PROXY
    /// protocol middleware sets it).
    /// </summary>
    public abstract EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Gets a token that is cancelled when the connection is closed or aborted.</summary>
    /// <remarks>Callbacks registered on it never run on an I/O thread or inside the call that closed the connection.</remarks>
    public abstract CancellationToken ConnectionClosed { get; }

    /// <summary>Gets why the connection closed, or <see cref="CloseReason.None"/> while it is open.</summary>
    public abstract CloseReason CloseReason { get; }

    /// <summary>
    /// Gets the connection's share of the <c>TcpToolkit</c> meter's instruments, which the transport creates and the
    /// layers above (framing, TLS, the PROXY protocol) record on; <see langword="null"/> for a connection without a
    /// socket (in memory), which records nothing. Internal: a property, not a feature, so a connection pays no feature
    /// bag copy for it (the benchmarks set it on a bare pipe connection).
    /// </summary>
    internal ConnectionTelemetry? Telemetry { get; set; }

    /// <summary>Gets the feature of type <typeparamref name="TFeature"/> that middleware set, or <see langword="null"/>.</summary>
    /// <typeparam name="TFeature">The feature's type, as it was set.</typeparam>
    /// <returns>The feature, or <see langword="null"/> when none of that type was set.</returns>
    public TFeature? GetFeature<TFeature>()
        where TFeature : class
    {
        foreach (var pair in Volatile.Read(ref _features))
        {
            if (pair.Key == typeof(TFeature))
            {
                return (TFeature)pair.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// Sets (or, with <see langword="null"/>, removes) the feature of type <typeparamref name="TFeature"/>: how
    /// middleware publishes what it learnt (the TLS session, the PROXY header's addresses) and how an application
    /// attaches its own state to a connection.
    /// </summary>
    /// <typeparam name="TFeature">The type readers ask for with <see cref="GetFeature{TFeature}"/>.</typeparam>
    /// <param name="feature">The feature, or <see langword="null"/> to remove it.</param>
    public void SetFeature<TFeature>(TFeature? feature)
        where TFeature : class
    {
        // Copy on write, published by compare-and-swap: readers take no lock, a connection has a handful of features
        // set once each, and an idle connection holds no lock object for them.
        while (true)
        {
            var current = Volatile.Read(ref _features);
            var list = new List<KeyValuePair<Type, object>>(current.Length + 1);
            foreach (var pair in current)
            {
                if (pair.Key != typeof(TFeature))
                {
                    list.Add(pair);
                }
            }

            if (feature is not null)
            {
                list.Add(new KeyValuePair<Type, object>(typeof(TFeature), feature));
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _features, [.. list], current), current))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Sends all of <paramref name="data"/> (the guide's <c>sendall</c>): writes it to <see cref="Output"/> and
    /// flushes, waiting while the peer is slow to read.
    /// </summary>
    /// <param name="data">The bytes to send.</param>
    /// <param name="cancellationToken">Cancels the wait for the peer to drain the buffer.</param>
    /// <returns>A task that completes when the bytes are handed to the transport.</returns>
    /// <exception cref="ConnectionResetException">The peer reset the connection.</exception>
    /// <exception cref="ConnectionAbortedException">The connection was aborted or its output is already closed.</exception>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        // Large payloads go in chunks, so the pipe's buffer stays bounded by its limit, not by the payload.
        const int Chunk = 64 * 1024;
        do
        {
            var part = data.Length > Chunk ? data[..Chunk] : data;
            data = data[part.Length..];
            var result = await Output.WriteAsync(part, cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The send was cancelled.");
            }

            if (result.IsCompleted)
            {
                throw new ConnectionAbortedException("The connection's output is closed.");
            }
        }
        while (!data.IsEmpty);
    }

    /// <summary>
    /// Receives up to <c>buffer.Length</c> bytes (the guide's <c>recv</c>): waits until at least one byte is
    /// available and copies what is buffered, or returns 0 when the peer has closed its side (EOF).
    /// </summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes copied; 0 at EOF.</returns>
    /// <exception cref="ConnectionResetException">The peer reset the connection.</exception>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            var result = await Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var available = result.Buffer;
            if (!available.IsEmpty)
            {
                var count = (int)Math.Min(available.Length, buffer.Length);
                var slice = available.Slice(0, count);
                slice.CopyTo(buffer.Span);
                Input.AdvanceTo(slice.End);
                return count;
            }

            Input.AdvanceTo(available.End);
            if (result.IsCompleted)
            {
                return 0;
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The receive was cancelled.");
            }
        }
    }

    /// <summary>
    /// Closes gracefully: completes <see cref="Output"/> (every layer flushes and closes, the transport sends the
    /// pending bytes, then FIN), then releases the connection. If that does not finish within the transport's close
    /// timeout or <paramref name="cancellationToken"/> fires first, the connection is aborted. Calling it again
    /// returns the same close.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the drain and aborts.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public abstract Task CloseAsync(CancellationToken cancellationToken = default);

    /// <summary>Aborts the connection: pending reads and writes fail and the peer sees a reset.</summary>
    /// <param name="reason">Why, for the logs and the <see cref="ConnectionAbortedException"/> message.</param>
    public void Abort(string? reason = null) => Abort(CloseReason.LocalAbort, reason);

    /// <summary>
    /// Aborts the connection with a reason of its own (middleware closing for a failed handshake, a handler for a
    /// protocol error): pending reads and writes fail, the peer sees a reset, and <see cref="CloseReason"/> records
    /// <paramref name="reason"/> unless an earlier reason is already recorded.
    /// </summary>
    /// <param name="reason">The close reason to record.</param>
    /// <param name="message">Why, for the logs and the <see cref="ConnectionAbortedException"/> message.</param>
    public abstract void Abort(CloseReason reason, string? message);

    /// <summary>Closes gracefully, within the close timeout (see <see cref="CloseAsync"/>).</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public virtual async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({RemoteEndPoint})";
}
