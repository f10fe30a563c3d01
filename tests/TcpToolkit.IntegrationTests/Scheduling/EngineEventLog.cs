using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>A logger that keeps the engine's events (ID and message) and lets a test await a count of one event.</summary>
internal sealed class EngineEventLog : ILogger
{
    private readonly ConcurrentQueue<(int EventId, string Message)> _events = new();
    private readonly Lock _lock = new();
    private readonly List<(int EventId, int Count, TaskCompletionSource Signal)> _waiters = [];

    public int Count(int eventId) => _events.Count(e => e.EventId == eventId);

    public IReadOnlyList<string> Messages(int eventId) => _events.Where(e => e.EventId == eventId).Select(e => e.Message).ToList();

    public Task WaitForAsync(int eventId, int count)
    {
        lock (_lock)
        {
            if (Count(eventId) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((eventId, count, signal));
            return signal.Task;
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _events.Enqueue((eventId.Id, formatter(state, exception)));
            var count = Count(eventId.Id);
            foreach (var waiter in _waiters.Where(w => w.EventId == eventId.Id && w.Count <= count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Signal.TrySetResult();
            }
        }
    }
}
