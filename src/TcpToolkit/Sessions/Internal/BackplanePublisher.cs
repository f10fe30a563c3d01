using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.Sessions.Internal;

/// <summary>
/// Hands this instance's broadcasts to the backplane, one at a time and in sequence order, from a bounded queue the
/// broadcaster never waits on. When the backplane fails, the message in hand is published again after the retry delay
/// (the receivers drop a duplicate by its sequence number) while new ones queue; a full queue drops its oldest. The
/// outage is logged once when it starts and once when it ends, and counted. What has queued up while one publish was
/// in flight goes out as one backplane message (a batch of numbered envelopes, see <see cref="BackplaneEnvelope"/>),
/// so a backplane with a round trip per publish still carries bursts at the rate they come.
/// </summary>
internal sealed class BackplanePublisher : IAsyncDisposable
{
    private readonly ISessionBackplane _backplane;
    private readonly FrameQueue _queue;
    private readonly Lock _sequenceLock = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _retryDelay;
    private readonly int _queueLimit;
    private readonly CancellationTokenSource _stop = new();
    private readonly SharedFramePool _pool;
    private readonly Task _loop;
    private ulong _sequence;
    private long _dropped;
    private volatile bool _failing;

    public BackplanePublisher(ISessionBackplane backplane, Guid origin, SessionRegistryOptions options, SharedFramePool pool, ILogger logger)
    {
        _pool = pool;
        _backplane = backplane;
        Origin = origin;
        _logger = logger;
        _timeProvider = options.TimeProvider;
        _retryDelay = options.BackplaneRetryDelay;
        _queueLimit = options.BackplaneQueueLimit;
        _queue = new FrameQueue(options.BackplaneQueueLimit, byteLimit: null, SendQueueFullPolicy.DropOldest);
        _loop = PublishLoopAsync();
    }

    public Guid Origin { get; }

    /// <summary>Gets the messages dropped from the full queue (they reach no other instance).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Gets whether the last publish failed (the backplane is unreachable from here).</summary>
    public bool IsFailing => _failing;

    /// <summary>Gets the messages waiting to be published.</summary>
    public int Queued => _queue.Count;

    /// <summary>Numbers <paramref name="message"/> (an envelope with sequence 0) and queues it; never waits.</summary>
    public void Publish(SharedFrame message)
    {
        int dropped;
        bool episodeStarted;
        lock (_sequenceLock)
        {
            // Numbering and queueing under one lock: the queue's order is the numbers' order, which receivers rely on.
            BackplaneEnvelope.WriteSequence(message.WrittenSpan, ++_sequence);
            _queue.Enqueue(message, out dropped, out episodeStarted);
        }

        if (dropped > 0)
        {
            Interlocked.Add(ref _dropped, dropped);
            if (episodeStarted)
            {
                SessionsLog.BackplaneQueueFull(_logger, _queueLimit);
            }
        }
    }

    /// <summary>Stops publishing: what is still queued is dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Close();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Takes what is queued, up to <see cref="BackplaneEnvelope.MaxBatchMessages"/> messages, as one batch.</summary>
    private SharedFrame? TakeBatch()
    {
        if (_queue.TryDequeue() is not { } first)
        {
            return null;
        }

        var batch = _pool.Rent();
        var next = first;
        var count = 0;
        while (true)
        {
            BinaryPrimitives.WriteInt32BigEndian(batch.GetSpan(4), next.Length);
            batch.Advance(4);
            batch.Write(next.Memory.Span);
            next.Release();
            if (++count == BackplaneEnvelope.MaxBatchMessages || batch.Length >= BackplaneEnvelope.MaxBatchBytes || _queue.TryDequeue() is not { } more)
            {
                return batch;
            }

            next = more;
        }
    }

    private async Task PublishLoopAsync()
    {
        var token = _stop.Token;
        long failedAttempts = 0;
        var outageStarted = 0L;
        var droppedBeforeOutage = 0L;
        try
        {
            while (true)
            {
                await _queue.WaitAsync().ConfigureAwait(false);
                if (TakeBatch() is not { } message)
                {
                    if (_queue.IsDrained)
                    {
                        return;
                    }

                    continue;
                }

                try
                {
                    while (true)
                    {
                        try
                        {
                            await _backplane.PublishAsync(message.Memory, token).ConfigureAwait(false);
                            break;
                        }
                        catch (Exception ex) when (!token.IsCancellationRequested)
                        {
                            failedAttempts++;
                            if (!_failing)
                            {
                                _failing = true;
                                outageStarted = _timeProvider.GetTimestamp();
                                droppedBeforeOutage = Dropped;
                                SessionsLog.BackplanePublishFailed(_logger, _retryDelay, ex);
                            }

                            await Task.Delay(_retryDelay, _timeProvider, token).ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    message.Release();
                }

                if (_failing)
                {
                    _failing = false;
                    var outage = _timeProvider.GetElapsedTime(outageStarted);
                    SessionsLog.BackplanePublishRestored(_logger, outage, failedAttempts, Dropped - droppedBeforeOutage);
                    failedAttempts = 0;
                }

                // Once the queue is empty again, the next time it fills is a new episode with a warning of its own.
                _queue.TryEndEpisode(out _);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed: what is still queued is dropped with the registry.
        }
    }
}
