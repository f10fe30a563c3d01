using System.Diagnostics.Metrics;
using System.Globalization;
using TcpToolkit.Connections;
using TcpToolkit.Framing;
using TcpToolkit.Transport;

namespace TcpToolkit.IntegrationTests.Diagnostics;

/// <summary>
/// Issue 14's must-show: a <see cref="MeterListener"/> on every instrument (the opt-in per-frame size histograms included)
/// adds no allocation per message to the framed echo path, server and client. Measured process-wide
/// (<see cref="GC.GetTotalAllocatedBytes"/>, precise) because the loops run on the engine's and the pool's threads,
/// in the process-wide collection, first with nobody listening, then with the listener on the same connection: the
/// best of three windows of each may differ by less than 1 B per message (an allocation per message would be 24 B at
/// least, in every window).
/// </summary>
/// <remarks>
/// The tests run a Debug build, where the compiler makes every async state machine a class: the frame reader's
/// pooled slow path then allocates its state machine at each wait (about 39 B per message in this ping-pong, with or
/// without metrics). A Release build pools it (the compare harness's allocation probe measures that one), so the
/// test checks what the listener adds, not the absolute figure.
/// </remarks>
[Collection(ProcessWideMeasurements.Name)]
public sealed class EchoAllocationTests
{
    private const int WarmUp = 5_000;
    private const int Window = 20_000;
    private const int Windows = 3;
    private const int Batch = 16;
    private static readonly LengthFieldCodecOptions Codec = new() { LengthFieldSize = 4 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FramedEcho_ListenerOnEveryInstrument_AddsLessThanOneByteAllocatedPerMessage(bool runs)
    {
        var ct = TestServers.Timeout();
        using var factory = new TestMeterFactory();
        await using var server = await TestServers.StartAsync(runs ? EchoRunsAsync : EchoAsync, options =>
        {
            options.MeterFactory = factory;
            options.RecordFrameSizes = true;
        });
        await using var client = new TcpClient(new TcpClientOptions { MeterFactory = factory, RecordFrameSizes = true });
        await using var connection = await client.ConnectAsync(server.LocalEndPoint, ct);
        var exchange = new Exchange(connection);
        await exchange.RunAsync(WarmUp, ct);

        var silent = await MeasureAsync(exchange, collect: null, ct);
        using var listener = new ConsumingListener(factory);
        await exchange.RunAsync(WarmUp, ct);
        var listened = await MeasureAsync(exchange, listener.Collect, ct);

        var added = (double)(listened.Min() - silent.Min()) / Window;
        ProcessFigures.Report(string.Create(
            CultureInfo.InvariantCulture,
            $"Framed echo{(runs ? " of runs" : "")} allocation in {Windows} windows of {Window} messages: nobody listening {string.Join(" / ", silent)} B, a MeterListener on every instrument {string.Join(" / ", listened)} B ({listener.Measurements} measurements); the listener adds {added:F4} B/message"));
        listener.Count("tcptoolkit.server.frame.size").Should().BeGreaterThanOrEqualTo(2L * (WarmUp + (Windows * Window)), "the listener saw every frame, both ways");
        listener.Count("tcptoolkit.client.frame.size").Should().BeGreaterThanOrEqualTo(2L * (WarmUp + (Windows * Window)));
        added.Should().BeLessThan(1.0);
    }

    private static async Task<long[]> MeasureAsync(Exchange exchange, Action? collect, CancellationToken ct)
    {
        var allocated = new long[Windows];
        for (var window = 0; window < Windows; window++)
        {
            // An exporter collects the observable instruments on its interval; here between windows.
            collect?.Invoke();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await exchange.RunAsync(Window, ct);
            allocated[window] = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        return allocated;
    }

    /// <summary>The client's side: batches of frames written, flushed, and read back.</summary>
    private sealed class Exchange(Connection connection)
    {
        private readonly FrameReader _reader = new(connection);
        private readonly FrameWriter _writer = new(connection);
        private readonly LengthFieldFrameDecoder _decoder = new(Codec);
        private readonly LengthFieldFrameEncoder _encoder = new(Codec);
        private readonly byte[] _payload = new byte[32];

        public async Task RunAsync(int count, CancellationToken ct)
        {
            for (var done = 0; done < count; done += Batch)
            {
                for (var i = 0; i < Batch; i++)
                {
                    _writer.Write(_encoder, _payload);
                }

                await _writer.FlushAsync(ct);
                for (var i = 0; i < Batch; i++)
                {
                    var result = await _reader.ReadAsync(_decoder, ct);
                    if (!result.HasFrame || result.Frame.Length != _payload.Length)
                    {
                        throw new InvalidOperationException("The echo ended or changed.");
                    }
                }
            }
        }
    }

    private static async Task EchoAsync(Connection connection, CancellationToken stopping)
    {
        var reader = new FrameReader(connection);
        var writer = new FrameWriter(connection);
        var decoder = new LengthFieldFrameDecoder(Codec);
        var encoder = new LengthFieldFrameEncoder(Codec);
        while (true)
        {
            var read = reader.ReadAsync(decoder, stopping);
            if (!read.IsCompleted)
            {
                await writer.FlushAsync(stopping);
            }

            var result = await read;
            if (!result.HasFrame)
            {
                await writer.FlushAsync(stopping);
                return;
            }

            writer.Write(encoder, result.Frame);
        }
    }

    // The echo of issue 17: runs of frames read and written back as their wire bytes.
    private static async Task EchoRunsAsync(Connection connection, CancellationToken stopping)
    {
        var reader = new FrameReader(connection);
        var writer = new FrameWriter(connection);
        var decoder = new LengthFieldFrameDecoder(Codec);
        while (true)
        {
            var read = reader.ReadRunAsync(decoder, stopping);
            if (!read.IsCompleted)
            {
                await writer.FlushAsync(stopping);
            }

            var run = await read;
            if (!run.HasFrames)
            {
                await writer.FlushAsync(stopping);
                return;
            }

            writer.WriteRun(run);
        }
    }

    /// <summary>
    /// A listener that takes every measurement of the factory's instruments as an exporter would (reads the value
    /// and every attribute) and keeps per-instrument counts and sums in preallocated cells: what it costs is what
    /// TcpToolkit costs.
    /// </summary>
    private sealed class ConsumingListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, Cell> _cells = [];
        private long _measurements;

        public ConsumingListener(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    var cell = new Cell();
                    lock (_cells)
                    {
                        _cells[instrument.Name] = cell;
                    }

                    listener.EnableMeasurementEvents(instrument, cell);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => Take((Cell)state!, value, tags));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => Take((Cell)state!, (long)value, tags));
            _listener.Start();
        }

        public long Measurements => Interlocked.Read(ref _measurements);

        public long Count(string instrument)
        {
            lock (_cells)
            {
                return Interlocked.Read(ref _cells[instrument].Count);
            }
        }

        /// <summary>Collects the observable instruments, as an exporter does on its interval.</summary>
        public void Collect() => _listener.RecordObservableInstruments();

        public void Dispose() => _listener.Dispose();

        private void Take(Cell cell, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var hash = 0;
            foreach (var tag in tags)
            {
                hash ^= tag.Key.Length ^ (tag.Value?.GetHashCode() ?? 0);
            }

            Interlocked.Increment(ref cell.Count);
            Interlocked.Add(ref cell.Sum, value ^ (hash & 1));
            Interlocked.Increment(ref _measurements);
        }

        private sealed class Cell
        {
            public long Count;
            public long Sum;
        }
    }
}
