using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TcpToolkit.IntegrationTests;

/// <summary>Counts log events by ID and lets a test await a count, so it can wait for "N late replies dropped" without polling.</summary>
internal sealed class EventSignalLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentDictionary<int, int> _counts = new();
    private readonly Lock _lock = new();
    private readonly List<(int EventId, int Count, TaskCompletionSource Signal)> _waiters = [];

    public int Count(int eventId) => _counts.GetValueOrDefault(eventId);

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

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void OnEvent(int eventId)
    {
        lock (_lock)
        {
            var count = _counts.AddOrUpdate(eventId, 1, (_, c) => c + 1);
            foreach (var waiter in _waiters.Where(w => w.EventId == eventId && w.Count <= count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Signal.TrySetResult();
            }
        }
    }

    private sealed class Logger(EventSignalLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.OnEvent(eventId.Id);
    }
}
