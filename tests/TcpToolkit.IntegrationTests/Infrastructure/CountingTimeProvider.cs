using System.Threading.Channels;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// Wraps a clock (usually a FakeTimeProvider) and records every timer created through it: its due time, in a channel
/// a test can await, and whether it was disposed. Proves backoff schedules and that nothing leaks a timer.
/// </summary>
internal sealed class CountingTimeProvider(TimeProvider inner) : TimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();
    private int _active;
    private int _total;

    public int ActiveTimers => Volatile.Read(ref _active);

    public int TotalTimers => Volatile.Read(ref _total);

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    /// <summary>Waits (bounded by the token) for the next timer to be created and returns its due time.</summary>
    public ValueTask<TimeSpan> NextTimerAsync(CancellationToken cancellationToken) => _created.Reader.ReadAsync(cancellationToken);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _active);
        Interlocked.Increment(ref _total);
        var timer = new CountedTimer(this, inner.CreateTimer(callback, state, dueTime, period));
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    private sealed class CountedTimer(CountingTimeProvider owner, ITimer inner) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._active);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
