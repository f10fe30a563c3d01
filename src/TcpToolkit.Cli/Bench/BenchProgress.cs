using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TcpToolkit.Cli.Bench;

/// <summary>
/// The live progress of <c>tcptk bench</c>: a timer samples the connections' counters and histograms (plain reads of
/// values only their connection writes, no lock or extra work on the message path) and prints elapsed/total, the
/// messages per second so far in the current phase, and the round-trip p50/p99 of the last interval.
/// </summary>
internal sealed class BenchProgress : IDisposable
{
    private const int BarWidth = 20;

    /// <summary>
    /// The most connections whose histograms a sample reads (evenly spread): the live percentiles of 256 connections
    /// stand for all of them, and the sampler's memory reads stay a few MB a second with 100,000 connections.
    /// </summary>
    private const int MaxSampledHistograms = 256;

    private readonly BenchProgressOptions _options;
    private readonly BenchSchedule _schedule;
    private readonly BenchPhase _phase;
    private readonly LoadConnection[] _loads;
    private readonly Lock _gate = new();
    private long[] _previous = new long[LatencyHistogram.BucketCount];
    private long[] _current = new long[LatencyHistogram.BucketCount];
    private ITimer? _timer;
    private bool _stopped;
    private (long Count, long P50, long P99) _shown;

    public BenchProgress(BenchProgressOptions options, BenchSchedule schedule, BenchPhase phase, LoadConnection[] loads)
    {
        _options = options;
        _schedule = schedule;
        _phase = phase;
        _loads = loads;
    }

    /// <summary>Prints <paramref name="header"/> on its own line, then starts the timer (call after the schedule's start).</summary>
    public void Start(string header)
    {
        lock (_gate)
        {
            _timer = _schedule.TimeProvider.CreateTimer(_ => Tick(), null, _options.Interval, _options.Interval);
            _options.Writer.WriteLine(header);
            _options.Writer.Flush();
        }
    }

    /// <summary>Stops the timer; in place, draws the last state and ends the line so the report starts on a new one.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _timer?.Dispose();
            if (_options.InPlace)
            {
                _options.Writer.Write(Line(final: true));
                _options.Writer.WriteLine();
                _options.Writer.Flush();
            }
        }
    }

    public void Dispose() => Stop();

    private void Tick()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            var line = Line(final: false);
            if (_options.InPlace)
            {
                _options.Writer.Write(line);
            }
            else
            {
                _options.Writer.WriteLine(line);
            }

            _options.Writer.Flush();
        }
    }

    /// <param name="final">The line left on a terminal at the end: an interval cut short by the end (often empty) keeps the percentiles shown last.</param>
    private string Line(bool final)
    {
        var c = CultureInfo.InvariantCulture;
        var total = _schedule.Total;
        var elapsed = _schedule.Elapsed;
        elapsed = elapsed > total ? total : elapsed;
        var warmingUp = _phase.Current == BenchPhase.WarmUp;
        var (messages, seconds) = warmingUp ? (TotalMessages(), elapsed.TotalSeconds) : (MeasuredMessages(), _schedule.Measured.TotalSeconds);
        var rate = seconds > 0 ? messages / seconds : 0;
        var interval = LastInterval();
        _shown = final && interval.Count == 0 ? _shown : interval;
        var (count, p50, p99) = _shown;

        var text = new StringBuilder();
        if (_options.InPlace)
        {
            text.Append('\r');
            if (_options.Width >= 100)
            {
                var done = (int)Math.Round(BarWidth * elapsed / total);
                text.Append('[').Append('#', done).Append('-', BarWidth - done).Append(']');
            }
        }

        text.Append(c, $"  {elapsed.TotalSeconds,5:0.0}/{total.TotalSeconds:0.0} s  {(warmingUp ? "warm-up" : "measure"),-7}  {rate,11:N0} msg/s");
        text.Append(count == 0 ? "  p50 -  p99 -" : string.Create(c, $"  p50 {Microseconds(p50):N1} us  p99 {Microseconds(p99):N1} us"));
        if (_options.InPlace)
        {
            // Padded so a shorter line wipes the longer one it replaces, cut so it never wraps (a wrapped line cannot be rewritten).
            var width = Math.Max(_options.Width - 1, 1);
            if (text.Length - 1 > width)
            {
                text.Length = width + 1;
            }
            else
            {
                text.Append(' ', width + 1 - text.Length);
            }
        }

        return text.ToString();
    }

    /// <summary>The measured round trips since the previous sample: their number, p50 and p99 (Stopwatch ticks).</summary>
    private (long Count, long P50, long P99) LastInterval()
    {
        Array.Clear(_current);
        var step = Math.Max(_loads.Length / MaxSampledHistograms, 1);
        for (var i = 0; i < _loads.Length; i += step)
        {
            _loads[i].Histogram.AddCountsTo(_current);
        }

        // The counts only grow, so the difference is what the last interval recorded; it is computed into _previous,
        // which then becomes the buffer the next sample clears and fills.
        long count = 0;
        for (var i = 0; i < _current.Length; i++)
        {
            var delta = Math.Max(_current[i] - _previous[i], 0);
            _previous[i] = delta;
            count += delta;
        }

        var p50 = LatencyHistogram.ValueAtPercentile(_previous, count, 50);
        var p99 = LatencyHistogram.ValueAtPercentile(_previous, count, 99);
        (_previous, _current) = (_current, _previous);
        return (count, p50, p99);
    }

    private long TotalMessages()
    {
        long total = 0;
        foreach (var load in _loads)
        {
            total += load.TotalMessages;
        }

        return total;
    }

    private long MeasuredMessages()
    {
        long total = 0;
        foreach (var load in _loads)
        {
            total += load.MeasuredMessages;
        }

        return total;
    }

    private static double Microseconds(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
}
