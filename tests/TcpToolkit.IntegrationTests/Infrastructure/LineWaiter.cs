namespace TcpToolkit.IntegrationTests;

/// <summary>
/// Collects the lines a sample or a peer prints and lets a test wait, without polling, until enough of them match.
/// A wait that runs out of time fails with the output so far, so a failure says what was printed.
/// </summary>
internal sealed class LineWaiter
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<Waiter> _waiters = [];
    private bool _ended;

    public void Add(string line)
    {
        lock (_lock)
        {
            _lines.Add(line);
            _waiters.RemoveAll(waiter => waiter.TryComplete(_lines));
        }
    }

    /// <summary>Gets the lines so far.</summary>
    public IReadOnlyList<string> Snapshot()
    {
        lock (_lock)
        {
            return [.. _lines];
        }
    }

    /// <summary>No more lines will come (the process exited): pending waits fail at once.</summary>
    public void End()
    {
        lock (_lock)
        {
            _ended = true;
            foreach (var waiter in _waiters)
            {
                waiter.Done.TrySetException(new InvalidOperationException("The output ended before the expected lines:" + Environment.NewLine + string.Join(Environment.NewLine, _lines)));
            }

            _waiters.Clear();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> lines match <paramref name="match"/>.</summary>
    public async Task WaitForLinesAsync(Func<string, bool> match, int count, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(match, count);
        lock (_lock)
        {
            if (waiter.TryComplete(_lines))
            {
                return;
            }

            if (_ended)
            {
                throw new InvalidOperationException("The output ended before the expected lines:" + Environment.NewLine + string.Join(Environment.NewLine, _lines));
            }

            _waiters.Add(waiter);
        }

        try
        {
            await waiter.Done.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            string output;
            lock (_lock)
            {
                output = string.Join(Environment.NewLine, _lines);
            }

            throw new TimeoutException($"Fewer than {count} matching lines were printed in time. Output so far:{Environment.NewLine}{output}");
        }
    }

    private sealed class Waiter(Func<string, bool> match, int count)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryComplete(List<string> lines)
        {
            if (lines.Count(match) < count)
            {
                return false;
            }

            Done.TrySetResult();
            return true;
        }
    }
}
