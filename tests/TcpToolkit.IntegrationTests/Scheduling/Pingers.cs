using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpToolkit.Connections;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Connections that each send one byte, wait for its echo and start again, as fast as they can, recording every round
/// trip. A test starts them, does what must not disturb them, then <see cref="StopAfterCurrentRoundsAsync"/> waits
/// until every pinger has finished a round trip that started after that point: a round trip that overlapped the
/// disturbance, however long, has then been measured (a pinger frozen for the whole test would otherwise go unseen).
/// </summary>
internal sealed class Pingers : IAsyncDisposable
{
    private readonly Pinger[] _pingers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private readonly LatenessProbe _probe = new();

    private Pingers(Pinger[] pingers)
    {
        _pingers = pingers;
        _loops = pingers.Select(p => p.RunAsync(_stop.Token)).ToArray();
    }

    /// <summary>Gets the longest round trip of any pinger so far.</summary>
    public TimeSpan MaxRoundTrip => TimeSpan.FromTicks(_pingers.Max(p => p.MaxRoundTripTicks));

    /// <summary>Gets how late the machine itself woke a sleeping thread while the pingers ran (see <see cref="LatenessProbe"/>).</summary>
    public TimeSpan MachineLateness => _probe.MaxLateness;

    /// <summary>Gets the bound a round trip must stay under: issue #11's 100 ms on top of the machine's own lateness.</summary>
    public TimeSpan RoundTripBound => SchedulingFigures.MaxRoundTrip + MachineLateness;

    /// <summary>Gets the round trips completed so far, all pingers together.</summary>
    public long RoundTrips => _pingers.Sum(p => p.RoundTrips);

    /// <summary>Gets the fewest round trips a single pinger completed.</summary>
    public long FewestRoundTrips => _pingers.Min(p => p.RoundTrips);

    /// <summary>
    /// Starts <paramref name="count"/> raw-socket pingers (.NET's socket engine, independent of TcpToolkit's); each
    /// round trip sends <paramref name="message"/> (one byte by default) and waits for one byte back.
    /// </summary>
    public static async Task<Pingers> StartRawAsync(EndPoint server, int count, CancellationToken ct, byte[]? message = null)
    {
        var pingers = new Pinger[count];
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(server, ct);
            pingers[i] = new RawPinger(socket) { Message = message ?? [42] };
        }

        return await StartAsync(pingers, ct);
    }

    /// <summary>Starts <paramref name="count"/> pingers on TcpToolkit client connections.</summary>
    public static async Task<Pingers> StartAsync(TcpClient client, EndPoint server, int count, CancellationToken ct)
    {
        var pingers = new Pinger[count];
        for (var i = 0; i < count; i++)
        {
            pingers[i] = new ConnectionPinger(await client.ConnectAsync(server, ct));
        }

        return await StartAsync(pingers, ct);
    }

    /// <summary>Forgets the round trips so far (the warm-up: connection setup, first JIT).</summary>
    public void ResetFigures()
    {
        _probe.Reset();
        foreach (var pinger in _pingers)
        {
            pinger.ResetFigures();
        }
    }

    /// <summary>Completes when every pinger has completed <paramref name="count"/> round trips started after this call.</summary>
    public Task CompleteRoundTripsAsync(int count)
    {
        var now = Stopwatch.GetTimestamp();
        return Task.WhenAll(_pingers.Select(p => p.CompletedOneStartedAfterAsync(now, count)));
    }

    /// <summary>
    /// Waits until every pinger completed a round trip that started after this call, then stops them.
    /// </summary>
    public async Task StopAfterCurrentRoundsAsync(CancellationToken ct)
    {
        var now = Stopwatch.GetTimestamp();
        await Task.WhenAll(_pingers.Select(p => p.CompletedOneStartedAfterAsync(now))).WaitAsync(ct);
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(ct);
        _probe.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var pinger in _pingers)
        {
            await pinger.DisposeAsync();
        }

        // Disposed sockets end any round trip still pending.
        await Task.WhenAll(_loops).WaitAsync(TestTimeouts.Default).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _probe.Dispose();
    }

    private static async Task<Pingers> StartAsync(Pinger[] pingers, CancellationToken ct)
    {
        var started = new Pingers(pingers);

        // Warm up: every pinger has made round trips before anything is measured.
        var now = Stopwatch.GetTimestamp();
        await Task.WhenAll(pingers.Select(p => p.CompletedOneStartedAfterAsync(now, count: 10))).WaitAsync(ct);
        started.ResetFigures();
        return started;
    }

    private abstract class Pinger : IAsyncDisposable
    {
        private readonly Lock _lock = new();
        private readonly List<(long After, int Count, TaskCompletionSource Signal)> _waiters = [];
        private long _maxRoundTripTicks;
        private long _roundTrips;

        public long MaxRoundTripTicks => Interlocked.Read(ref _maxRoundTripTicks);

        public long RoundTrips => Interlocked.Read(ref _roundTrips);

        public void ResetFigures()
        {
            Interlocked.Exchange(ref _maxRoundTripTicks, 0);
            Interlocked.Exchange(ref _roundTrips, 0);
        }

        public Task CompletedOneStartedAfterAsync(long timestamp, int count = 1)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _waiters.Add((timestamp, count, signal));
            }

            return signal.Task;
        }

        public byte[] Message { get; init; } = [42];

        public async Task RunAsync(CancellationToken stop)
        {
            var message = Message;
            var echo = new byte[1];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var start = Stopwatch.GetTimestamp();
                    await RoundTripAsync(message, echo);
                    var elapsed = Stopwatch.GetElapsedTime(start).Ticks;
                    long max;
                    while (elapsed > (max = Interlocked.Read(ref _maxRoundTripTicks)) && Interlocked.CompareExchange(ref _maxRoundTripTicks, elapsed, max) != max)
                    {
                    }

                    Interlocked.Increment(ref _roundTrips);
                    OnRoundTrip(start);
                }
            }
            finally
            {
                lock (_lock)
                {
                    foreach (var waiter in _waiters)
                    {
                        waiter.Signal.TrySetException(new InvalidOperationException("The pinger stopped."));
                    }
                }
            }
        }

        public abstract ValueTask DisposeAsync();

        protected abstract ValueTask RoundTripAsync(byte[] message, byte[] echo);

        private void OnRoundTrip(long start)
        {
            lock (_lock)
            {
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    var (after, count, signal) = _waiters[i];
                    if (start < after)
                    {
                        continue;
                    }

                    if (count > 1)
                    {
                        _waiters[i] = (after, count - 1, signal);
                        continue;
                    }

                    _waiters.RemoveAt(i);
                    signal.TrySetResult();
                }
            }
        }
    }

    private sealed class RawPinger(Socket socket) : Pinger
    {
        public override ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        protected override async ValueTask RoundTripAsync(byte[] message, byte[] echo)
        {
            await socket.SendAsync(message, SocketFlags.None);
            var read = await socket.ReceiveAsync(echo, SocketFlags.None);
            if (read != 1)
            {
                throw new InvalidOperationException("The server closed a pinger's connection.");
            }
        }
    }

    private sealed class ConnectionPinger(Connection connection) : Pinger
    {
        public override async ValueTask DisposeAsync()
        {
            connection.Abort("The test is over.");
            await connection.DisposeAsync();
        }

        protected override async ValueTask RoundTripAsync(byte[] message, byte[] echo)
        {
            await connection.SendAsync(message);
            if (await connection.ReceiveAsync(echo) != 1)
            {
                throw new InvalidOperationException("The server closed a pinger's connection.");
            }
        }
    }
}
