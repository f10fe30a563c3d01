using System.Buffers;
using System.Diagnostics;
using TcpToolkit.Connections;

namespace TcpToolkit.Cli.Bench;

/// <summary>
/// One connection of the load generator: keeps <c>depth</c> messages in flight, and for each echoed message checks
/// every byte against what was sent, records the round trip and sends the next one. Allocation-free per message:
/// messages are precomputed, send times live in a ring, and one timestamp is taken per received batch.
/// </summary>
internal sealed class LoadConnection
{
    private readonly Connection _connection;
    private readonly MessageSet _messages;
    private readonly BenchPhase _phase;
    private readonly long[] _sentAt;
    private long _measuredMessages;
    private long _totalMessages;

    public LoadConnection(Connection connection, MessageSet messages, int depth, BenchPhase phase)
    {
        _connection = connection;
        _messages = messages;
        _phase = phase;
        _sentAt = new long[depth];
    }

    /// <summary>Gets the round trips (in <see cref="Stopwatch"/> ticks) measured after the warm-up.</summary>
    public LatencyHistogram Histogram { get; } = new();

    /// <summary>Gets the number of messages echoed after the warm-up.</summary>
    public long MeasuredMessages => Volatile.Read(ref _measuredMessages);

    /// <summary>Gets the number of messages echoed, warm-up included.</summary>
    public long TotalMessages => Volatile.Read(ref _totalMessages);

    /// <summary>Gets why the connection failed, or <see langword="null"/>.</summary>
    public string? Error { get; private set; }

    public Connection Connection => _connection;

    public async Task RunAsync()
    {
        try
        {
            await LoopAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            if (_phase.Current != BenchPhase.Done)
            {
                Error = ex.GetType().Name + ": " + ex.Message;
            }
        }
    }

    private async Task LoopAsync()
    {
        var input = _connection.Input;
        var output = _connection.Output;
        var depth = _sentAt.Length;
        var wireLength = _messages.WireLength;
        long sent = 0;
        long received = 0;
        var offset = 0;

        var now = Stopwatch.GetTimestamp();
        for (; sent < depth; sent++)
        {
            output.Write(_messages.Message(sent));
            _sentAt[sent % depth] = now;
        }

        await output.FlushAsync();
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            now = Stopwatch.GetTimestamp();
            var phase = _phase.Current;
            var wrote = false;
            foreach (var segment in buffer)
            {
                var span = segment.Span;
                while (!span.IsEmpty)
                {
                    var expected = _messages.Message(received)[offset..];
                    var length = Math.Min(expected.Length, span.Length);
                    if (!span[..length].SequenceEqual(expected[..length]))
                    {
                        var at = span[..length].CommonPrefixLength(expected[..length]);
                        Error = "echo mismatch in message " + received + " at byte " + (offset + at);
                        input.AdvanceTo(buffer.End);
                        _connection.Abort("The echo did not match what was sent.");
                        return;
                    }

                    span = span[length..];
                    offset += length;
                    if (offset < wireLength)
                    {
                        continue;
                    }

                    offset = 0;
                    if (phase == BenchPhase.Measure)
                    {
                        Histogram.Record(now - _sentAt[received % depth]);
                        Volatile.Write(ref _measuredMessages, _measuredMessages + 1);
                    }

                    Volatile.Write(ref _totalMessages, _totalMessages + 1);
                    received++;
                    if (phase != BenchPhase.Done)
                    {
                        output.Write(_messages.Message(sent));
                        _sentAt[sent % depth] = now;
                        sent++;
                        wrote = true;
                    }
                }
            }

            input.AdvanceTo(buffer.End);
            if (wrote)
            {
                await output.FlushAsync();
            }

            if (phase == BenchPhase.Done)
            {
                return;
            }

            if (result.IsCompleted)
            {
                Error = "the server closed the connection";
                return;
            }
        }
    }
}
