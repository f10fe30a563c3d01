using System.IO.Pipelines;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Messaging;

/// <summary>
/// The server side of one message connection: it reads envelopes, runs the handler for requests and one-way
/// messages, answers pings, and lets the application push messages to the client.
/// </summary>
/// <remarks>
/// The read loop never runs a handler itself: requests go through a bounded queue to up to
/// <see cref="MessageServerOptions.MaxConcurrentRequestsPerConnection"/> workers, so pings are answered while handlers
/// run. All writes to the connection (responses, errors, pongs, pushes) share one lock, so envelopes never interleave.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Reliability",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "The write lock is a SemaphoreSlim whose wait handle is never created, so it holds nothing to release; disposing it while a push waits would break that push.")]
public sealed class MessageSession
{
    private readonly Connection _connection;
    private readonly Func<RequestContext, CancellationToken, ValueTask> _handler;
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentQueue<RequestContext> _contexts = new();
    private readonly Channel<RequestContext> _queue;
    private readonly List<Task> _workers = [];
    private CancellationToken _handlerToken;
    private int _idleWorkers;

    internal MessageSession(Connection connection, Func<RequestContext, CancellationToken, ValueTask> handler, MessageServerOptions options, ILogger logger)
    {
        _connection = connection;
        _handler = handler;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<RequestContext>(new BoundedChannelOptions(options.MaxQueuedRequestsPerConnection)
        {
            SingleWriter = true,
            SingleReader = options.MaxConcurrentRequestsPerConnection == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Gets the identifier of the underlying connection (for logs).</summary>
    public string Id => _connection.Id;

    /// <summary>Gets the client's endpoint.</summary>
    public EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <summary>Gets a token that is cancelled when the connection closes.</summary>
    public CancellationToken Closed => _connection.ConnectionClosed;

    /// <summary>
    /// Sends a push message to this client (kind Push, id 0). The client receives it through
    /// <see cref="MessageClientOptions.PushReceived"/>. Safe to call from any thread, concurrently with replies.
    /// </summary>
    /// <param name="payload">The message; copied into the connection's buffer before the call returns.</param>
    /// <param name="cancellationToken">Cancels the wait for the write lock or for a slow client to drain its buffer.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    /// <exception cref="FrameTooLargeException">The message is longer than <see cref="MessageServerOptions.MaxFrameLength"/> allows.</exception>
    /// <exception cref="ConnectionLostException">The connection is closed.</exception>
    public ValueTask PushAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        => SendAsync(MessageKind.Push, 0, payload, cancellationToken);

    /// <inheritdoc />
    public override string ToString() => _connection.ToString();

    internal async Task RunAsync(CancellationToken stopping)
    {
        using var handlerSource = CancellationTokenSource.CreateLinkedTokenSource(stopping, _connection.ConnectionClosed);
        _handlerToken = handlerSource.Token;
        var reader = new FrameReader(_connection.Input, _logger);
        var decoder = new EnvelopeDecoder(_options.MaxFrameLength);
        var cleanEnd = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(decoder, stopping).ConfigureAwait(false);
                if (!result.HasFrame)
                {
                    // The client's FIN at a message boundary: finish the queued requests, then close.
                    cleanEnd = true;
                    break;
                }

                var envelope = result.Frame;
                switch (envelope.Kind)
                {
                    case MessageKind.Request or MessageKind.OneWay:
                        await EnqueueAsync(envelope, stopping).ConfigureAwait(false);
                        break;
                    case MessageKind.Ping:
                        reader.Advance();
                        await SendAsync(MessageKind.Pong, envelope.Id, ReadOnlyMemory<byte>.Empty, stopping).ConfigureAwait(false);
                        break;
                    case MessageKind.Pong:
                        break;
                    default:
                        throw new InvalidFrameException($"A client may not send {envelope.Kind} messages.");
                }
            }
        }
        finally
        {
            _queue.Writer.TryComplete();
            if (!cleanEnd)
            {
                // A protocol error, a broken connection or a stop: the connection is going away, so running handlers
                // are told now rather than holding the session (and the connection's close) open.
                await handlerSource.CancelAsync().ConfigureAwait(false);
            }

            await Task.WhenAll(_workers).ConfigureAwait(false);
            while (_contexts.TryDequeue(out var context))
            {
                context.Release();
            }
        }
    }

    private async ValueTask EnqueueAsync(Envelope envelope, CancellationToken stopping)
    {
        if (!_contexts.TryDequeue(out var context))
        {
            context = new RequestContext(this);
        }

        context.Initialize(envelope.Kind, envelope.Id, envelope.Payload);
        if (!_queue.Writer.TryWrite(context))
        {
            try
            {
                // Every worker is busy and the queue is full: stop reading this connection until one finishes.
                await _queue.Writer.WriteAsync(context, stopping).ConfigureAwait(false);
            }
            catch
            {
                context.Release();
                throw;
            }
        }

        // Start another worker when more requests wait than workers are free (only this loop starts workers).
        if (_workers.Count < _options.MaxConcurrentRequestsPerConnection && _queue.Reader.Count > Volatile.Read(ref _idleWorkers))
        {
            Interlocked.Increment(ref _idleWorkers);
            _workers.Add(WorkerAsync());
        }
    }

    private async Task WorkerAsync()
    {
        // Off the read loop's stack, so the read loop goes on reading while this handler runs.
        await Task.Yield();
        var reader = _queue.Reader;
        while (true)
        {
            // Count this worker busy before taking an item, so the read loop never counts on a worker that is not coming.
            Interlocked.Decrement(ref _idleWorkers);
            if (reader.TryRead(out var context))
            {
                await ProcessAsync(context).ConfigureAwait(false);
                Interlocked.Increment(ref _idleWorkers);
                continue;
            }

            Interlocked.Increment(ref _idleWorkers);
            if (!await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async ValueTask ProcessAsync(RequestContext context)
    {
        var kind = context.IsOneWay ? MessageKind.OneWay : MessageKind.Request;
        var id = context.RequestId;
        try
        {
            Exception? failure = null;
            try
            {
                await _handler(context, _handlerToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_handlerToken.IsCancellationRequested)
            {
                // The server is stopping or the connection closed: the client learns from the closed connection.
                return;
            }
            catch (Exception ex)
            {
                MessagingLog.HandlerFaulted(_logger, _connection.Id, kind.ToString(), id, ex);
                failure = ex;
            }

            if (context.IsOneWay || _connection.ConnectionClosed.IsCancellationRequested)
            {
                return;
            }

            if (failure is not null)
            {
                await SendErrorAsync(id, _options.IncludeExceptionDetails ? failure.GetType().Name + ": " + failure.Message : "The request handler failed.").ConfigureAwait(false);
                return;
            }

            var reply = context.WrittenReply;
            if (Envelope.HeaderLength + (long)reply.Length > _options.MaxFrameLength)
            {
                MessagingLog.ReplyTooLarge(_logger, _connection.Id, id, reply.Length);
                await SendErrorAsync(id, "The reply is longer than the maximum frame length.").ConfigureAwait(false);
                return;
            }

            await SendAsync(MessageKind.Response, id, context.WrittenReplyMemory, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionLostException or ConnectionResetException or ConnectionAbortedException)
        {
            // The connection broke while replying; the read loop sees it too and ends the session.
        }
        finally
        {
            context.Reset();
            _contexts.Enqueue(context);
        }
    }

    private ValueTask SendErrorAsync(uint id, string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var max = _options.MaxFrameLength - Envelope.HeaderLength;
        return SendAsync(MessageKind.Error, id, bytes.AsMemory(0, Math.Min(bytes.Length, max)), CancellationToken.None);
    }

    private async ValueTask SendAsync(MessageKind kind, uint id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Envelope.CheckLength(payload.Length, _options.MaxFrameLength);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var output = _connection.Output;
            FlushResult flush;
            try
            {
                Envelope.Write(output, kind, id, payload.Span);
                flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                // The output was completed: the connection is closing.
                throw new ConnectionLostException("The connection is closed.", ex);
            }

            if (flush.IsCompleted)
            {
                throw new ConnectionLostException("The connection is closed.");
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
