using System.IO.Pipelines;
using TcpToolkit.Connections;

namespace TcpToolkit.IntegrationTests.Connections;

/// <summary>
/// A test middleware that replaces the connection's transport with a layer XOR-ing every byte with a key, in both
/// directions, and counts the bytes it moved. It follows the seam's rule for layers: when the application completes
/// the layer's output, the layer flushes and completes the output below it.
/// </summary>
internal sealed class XorLayer
{
    private static readonly PipeOptions Options = new(useSynchronizationContext: false, pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024);

    private readonly byte _key;
    private long _bytesIn;
    private long _bytesOut;

    public XorLayer(byte key) => _key = key;

    /// <summary>Gets the bytes that came up from the transport below.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Gets the bytes that went down to the transport below.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public Func<ConnectionHandler, ConnectionHandler> Middleware => next => (connection, cancellationToken) =>
    {
        Wrap(connection);
        return next(connection, cancellationToken);
    };

    public void Wrap(Connection connection)
    {
        var below = connection.Transport;
        var up = new Pipe(Options);
        var down = new Pipe(Options);
        _ = PumpAsync(below.Input, up.Writer, isInbound: true);
        _ = PumpAsync(down.Reader, below.Output, isInbound: false);
        connection.Transport = new Duplex(up.Reader, down.Writer);
    }

    private async Task PumpAsync(PipeReader from, PipeWriter to, bool isInbound)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await from.ReadAsync();
                foreach (var segment in result.Buffer)
                {
                    var span = to.GetSpan(segment.Length);
                    for (var i = 0; i < segment.Length; i++)
                    {
                        span[i] = (byte)(segment.Span[i] ^ _key);
                    }

                    to.Advance(segment.Length);
                }

                Interlocked.Add(ref isInbound ? ref _bytesIn : ref _bytesOut, result.Buffer.Length);
                from.AdvanceTo(result.Buffer.End);
                var flush = await to.FlushAsync();
                if (result.IsCompleted || result.IsCanceled || flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }

        // Completion flows through the layer: EOF up, FIN down, errors both ways.
        await to.CompleteAsync(error);
        await from.CompleteAsync(error);
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
