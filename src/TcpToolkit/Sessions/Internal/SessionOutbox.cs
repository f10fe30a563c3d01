using System.Buffers;
using TcpToolkit.Connections;

namespace TcpToolkit.Sessions.Internal;

/// <summary>
/// A session's way out: its bounded <see cref="FrameQueue"/> and the one loop that writes queued frames to the
/// connection's output. Broadcasters only queue (never wait, never write); the loop copies each shared frame into the
/// pipe, flushes once per batch and waits there while the peer is slow, so a slow peer holds up only its own queue.
/// </summary>
internal sealed class SessionOutbox
{
    private readonly Connection _connection;
    private readonly SessionsContext _context;
    private readonly FrameQueue _queue;
    private Task _writer = Task.CompletedTask;

    public SessionOutbox(Connection connection, SessionsContext context)
    {
        _connection = connection;
        _context = context;
        var options = context.Options;
        _queue = new FrameQueue(options.SendQueueLimit, options.SendQueueByteLimit, options.SendQueueFullPolicy);
    }

    public FrameQueue Queue => _queue;

    public void Start() => _writer = WriteLoopAsync();

    /// <summary>Queues <paramref name="frame"/> or applies the full-queue policy; returns whether it was queued.</summary>
    public bool Offer(SharedFrame frame)
    {
        var outcome = _queue.Enqueue(frame, out var dropped, out var episodeStarted);
        switch (outcome)
        {
            case EnqueueOutcome.Queued:
                if (dropped > 0)
                {
                    Dropped(dropped, episodeStarted);
                }

                return true;
            case EnqueueOutcome.DroppedNewest:
                Dropped(dropped, episodeStarted);
                return false;
            case EnqueueOutcome.Overflowed:
                _context.AddDropped(dropped);
                _context.AddDisconnected();
                SessionsLog.SlowSessionDisconnected(_context.Logger, _connection.Id, dropped);
                _connection.Abort(CloseReason.LocalAbort, "The session's send queue is full and its policy is SendQueueFullPolicy.Disconnect.");
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// Takes no more frames and waits, within the drain timeout, for the loop to write what is queued; after that the
    /// rest is dropped, a pending flush cancelled and, if the loop still waits on the transport, the connection aborted.
    /// </summary>
    public async Task CompleteAsync()
    {
        _queue.Complete();
        var options = _context.Options;
        try
        {
            await _writer.WaitAsync(options.DrainTimeout, options.TimeProvider).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
            var left = _queue.Close();
            SessionsLog.SessionDrainTimedOut(_context.Logger, _connection.Id, left, options.DrainTimeout);
            _connection.Output.CancelPendingFlush();
        }

        try
        {
            await _writer.WaitAsync(options.DrainTimeout, options.TimeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A layer below ignored the cancelled flush: the abort fails it, and the loop ends.
            _connection.Abort(CloseReason.LocalAbort, "The session's last messages could not be written within the drain timeout.");
            await _writer.ConfigureAwait(false);
        }
    }

    /// <summary>The connection closed: drop what is queued; the loop ends.</summary>
    public void Stop() => _queue.Close();

    private void Dropped(int count, bool episodeStarted)
    {
        _context.AddDropped(count);
        if (episodeStarted)
        {
            SessionsLog.SendQueueFull(_context.Logger, _connection.Id, _queue.Count, _queue.Bytes, _context.Options.SendQueueFullPolicy);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                // One async method per session, so its state machine is allocated once; waits reuse the queue's source.
                await _queue.WaitAsync().ConfigureAwait(false);
                var output = _connection.Output;
                var wrote = false;
                while (_queue.TryDequeue() is { } frame)
                {
                    try
                    {
                        output.Write(frame.Memory.Span);
                    }
                    finally
                    {
                        frame.Release();
                    }

                    wrote = true;
                }

                if (wrote)
                {
                    var flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        break;
                    }
                }

                if (_queue.TryEndEpisode(out var dropped))
                {
                    SessionsLog.SendQueueRecovered(_context.Logger, _connection.Id, dropped);
                }

                if (_queue.IsDrained)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or IOException
            or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection is gone (reset, aborted, output completed under us): nothing more can be written.
            SessionsLog.SessionWriteFailed(_context.Logger, _connection.Id, ex);
        }
        finally
        {
            _queue.Close();
        }
    }
}
