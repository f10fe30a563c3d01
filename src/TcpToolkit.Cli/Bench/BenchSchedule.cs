namespace TcpToolkit.Cli.Bench;

/// <summary>
/// The run's timeline on a <see cref="TimeProvider"/>: both phase changes (warm-up to measure, measure to done) are
/// timers, the first armed when the run starts and the second when measuring starts, so the measured window is
/// <c>--duration</c> on that clock whatever the progress display does, and a test on a fake clock moves the run
/// forward by advancing it.
/// </summary>
internal sealed class BenchSchedule : IDisposable
{
    private readonly BenchPhase _phase;
    private readonly TimeSpan _warmUp;
    private readonly TimeSpan _duration;
    private readonly TimeProvider _timeProvider;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private ITimer? _measureTimer;
    private ITimer? _endTimer;
    private long? _measureStartedAt;
    private long? _endedAt;

    public BenchSchedule(BenchPhase phase, TimeSpan warmUp, TimeSpan duration, TimeProvider timeProvider)
    {
        _phase = phase;
        _warmUp = warmUp;
        _duration = duration;
        _timeProvider = timeProvider;
    }

    /// <summary>Gets when the run started (a <see cref="TimeProvider.GetTimestamp"/>), once <see cref="Start"/> ran.</summary>
    public long StartedAt { get; private set; }

    /// <summary>Gets the length of the whole run: warm-up plus measured window.</summary>
    public TimeSpan Total => _warmUp + _duration;

    /// <summary>Gets the clock.</summary>
    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>Gets a task that completes when the measured window is over (or <see cref="End"/> cut it short).</summary>
    public Task Ended => _ended.Task;

    /// <summary>Gets the time measured so far, or the whole measured window once the run ended.</summary>
    public TimeSpan Measured
    {
        get
        {
            lock (_gate)
            {
                return _measureStartedAt is { } started
                    ? _timeProvider.GetElapsedTime(started, _endedAt ?? _timeProvider.GetTimestamp())
                    : TimeSpan.Zero;
            }
        }
    }

    /// <summary>Gets the time since the run started.</summary>
    public TimeSpan Elapsed => _timeProvider.GetElapsedTime(StartedAt);

    /// <summary>Starts the warm-up (or, without one, the measured window) now and arms both phase changes.</summary>
    public void Start()
    {
        lock (_gate)
        {
            StartedAt = _timeProvider.GetTimestamp();
            if (_warmUp > TimeSpan.Zero)
            {
                _measureTimer = _timeProvider.CreateTimer(_ => StartMeasuring(), null, _warmUp, Timeout.InfiniteTimeSpan);
            }
            else
            {
                StartMeasuring();
            }
        }
    }

    /// <summary>Ends the run now (the end timer, Ctrl+C, or every connection failed); later calls do nothing.</summary>
    public void End()
    {
        lock (_gate)
        {
            if (_endedAt is not null)
            {
                return;
            }

            _endedAt = _timeProvider.GetTimestamp();
            _phase.MoveTo(BenchPhase.Done);
        }

        _ended.TrySetResult();
    }

    public void Dispose()
    {
        End();
        lock (_gate)
        {
            _measureTimer?.Dispose();
            _endTimer?.Dispose();
        }
    }

    private void StartMeasuring()
    {
        lock (_gate)
        {
            if (_endedAt is not null)
            {
                return;
            }

            // The end is armed from the measured window's actual start, so a warm-up timer that fires late (a busy
            // thread pool) delays the window rather than shortening it.
            _measureStartedAt = _timeProvider.GetTimestamp();
            _phase.MoveTo(BenchPhase.Measure);
            _endTimer = _timeProvider.CreateTimer(_ => End(), null, _duration, Timeout.InfiniteTimeSpan);
        }
    }
}
