using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using TcpToolkit.Messaging;
using TcpToolkit.Messaging.Internal;

namespace TcpToolkit.Tests.Messaging.Internal;

/// <summary>
/// Issue #14: the request/response telemetry allocates nothing per request while a <see cref="MeterListener"/> takes
/// every instrument and an <see cref="ActivityListener"/> on the <c>TcpToolkit</c> source samples nothing: a call's
/// begin and end on both sides, one-way messages, GoAways, late replies and reconnects, counted on this thread
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>; listener callbacks run on the recording thread). The runtime's
/// unoptimised first code for an activity's creation options boxes its parent context, so windows repeat (within a
/// bound) until the optimised code runs; the best window must be zero.
/// </summary>
public sealed class RpcTelemetryAllocationTests
{
    private const int PerWindow = 1_000;

    [Fact]
    public void RpcCall_ListenedAndNotSampled_AllocatesNothingPerCall()
    {
        using var factory = new ScopedMeterFactory();
        var metrics = MessagingMetrics.For(factory);
        long measurements = 0;
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref measurements));
        meters.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref measurements));
        meters.Start();
        using var spans = new ActivityListener { ShouldListenTo = source => source.Name == "TcpToolkit", Sample = static (ref _) => ActivitySamplingResult.None };
        ActivitySource.AddActivityListener(spans);
        var server = new EndPointTags(new IPEndPoint(IPAddress.Loopback, 7000));
        var time = TimeProvider.System;

        var best = long.MaxValue;
        var started = Stopwatch.GetTimestamp();
        while (best > 0 && Stopwatch.GetElapsedTime(started) < TestTimeouts.Default)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < PerWindow; i++)
            {
                var sent = RpcCall.BeginOutgoing(metrics, time, "echo", server, channel: null);
                sent.End(metrics, time, errorType: null);
                var received = RpcCall.BeginIncoming(metrics, time, "echo", "echo", ReadOnlySequence<byte>.Empty, channel: null);
                received.End(metrics, time, RpcErrorTypes.HandlerFailed);
                metrics.OneWaySent("news");
                metrics.OneWay("news", sent: false);
                metrics.GoAway(sent: true);
                metrics.LateReply();
                metrics.Reconnect(server);
            }

            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        best.Should().Be(0, "recording a call, a one-way message, a GoAway, a late reply or a reconnect allocates nothing");
        Interlocked.Read(ref measurements).Should().BeGreaterThanOrEqualTo(PerWindow * 7L, "every recording reached the listener");
        metrics.ClientActive("echo").Value.Should().Be(0, "every call counted in flight was counted out");
        metrics.ServerActive("echo").Value.Should().Be(0);
    }

    [Fact]
    public void OutgoingMethod_ManyDistinctNames_BoundedThenOther()
    {
        using var factory = new ScopedMeterFactory();
        var metrics = MessagingMetrics.For(factory);

        var names = Enumerable.Range(0, 300).Select(i => metrics.OutgoingMethod("method-" + i)).ToList();

        names.Take(256).Should().Equal(Enumerable.Range(0, 256).Select(i => "method-" + i), "the first 256 names keep their name");
        names.Skip(256).Should().OnlyContain(n => n == "_OTHER", "later ones cannot grow the series without bound");
        metrics.OutgoingMethod("method-3").Should().Be("method-3", "a known name stays known");
        MessagingMetrics.For(factory).Should().BeSameAs(metrics, "one set of instruments per meter factory");
    }

    [Fact]
    public void Of_EveryErrorCodeAndCallerException_FixedVocabulary()
    {
        Enum.GetValues<MessageErrorCode>().Select(RpcErrorTypes.Of).Should().Equal(
            "unknown", "handler_failed", "not_executed", "cancelled", "deadline_exceeded", "unknown_method", "invalid_request", "reply_too_large", "protocol_mismatch");
        RpcErrorTypes.Of((MessageErrorCode)999).Should().Be("unknown");
        RpcErrorTypes.Of(new TimeoutException()).Should().Be("timeout");
        RpcErrorTypes.Of(new OperationCanceledException()).Should().Be("cancelled");
        RpcErrorTypes.Of(new TaskCanceledException()).Should().Be("cancelled");
        RpcErrorTypes.Of(new ConnectionLostException("lost")).Should().Be("connection_lost");
        RpcErrorTypes.Of(new RequestNotExecutedException("not run")).Should().Be("not_executed");
        RpcErrorTypes.Of(new RemoteErrorException(MessageErrorCode.InvalidRequest, "bad")).Should().Be("invalid_request");
        RpcErrorTypes.Of(new TcpToolkit.Framing.FrameTooLargeException(2000, 1000)).Should().Be("frame_too_large");
        RpcErrorTypes.Of(new InvalidOperationException()).Should().Be("_OTHER");
    }

    [Fact]
    public void FindMetadata_EntriesAndMalformedBlocks_FindsTheLastValueOrNothing()
    {
        var block = Wire.EncodeMetadata([new("tenant", "a"), new("traceparent", "first"), new("traceparent", "last")]);

        Wire.FindMetadata(block, "traceparent").Should().Be("last", "as in DecodeMetadata, the last entry of a key wins");
        Wire.FindMetadata(block, "tenant").Should().Be("a");
        Wire.FindMetadata(block, "tracestate").Should().BeNull();
        Wire.FindMetadata(block.AsSpan(0, block.Length - 2), "traceparent").Should().BeNull("a cut block is not read");
        Wire.FindMetadata([], "traceparent").Should().BeNull();
    }

    /// <summary>A meter factory whose meters carry it as their scope, so the listener takes only this test's instruments.</summary>
    private sealed class ScopedMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
