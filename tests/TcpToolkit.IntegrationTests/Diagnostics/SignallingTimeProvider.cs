using Microsoft.Extensions.Time.Testing;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that can report the next time someone reads the clock: the transport reads it
/// only where a backpressure wait begins and ends, so a test learns that a wait has begun (and advances time inside
/// it) without a race.
/// </summary>
internal sealed class SignallingTimeProvider : TimeProvider
{
    private TaskCompletionSource? _nextRead;

    public FakeTimeProvider Fake { get; } = new();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp()
    {
        var timestamp = Fake.GetTimestamp();
        Interlocked.Exchange(ref _nextRead, null)?.TrySetResult();
        return timestamp;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => Fake.CreateTimer(callback, state, dueTime, period);

    /// <summary>Returns a task that completes at the next <see cref="GetTimestamp"/>.</summary>
    public Task NextReadAsync()
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _nextRead, signal);
        return signal.Task;
    }
}
