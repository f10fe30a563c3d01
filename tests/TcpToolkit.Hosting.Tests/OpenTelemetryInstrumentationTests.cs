using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TcpToolkit.Diagnostics;

namespace TcpToolkit.Hosting.Tests;

/// <summary>AddTcpToolkitInstrumentation subscribes OpenTelemetry's providers to the TcpToolkit meter and activity source.</summary>
public sealed class OpenTelemetryInstrumentationTests
{
    [Fact]
    public void MeterProvider_AddTcpToolkitInstrumentation_ExportsTheTcpToolkitMetersInstruments()
    {
        var exported = new List<string>();
        using var meter = new Meter(TcpToolkitTelemetry.MeterName);
        using var other = new Meter("Unrelated." + Guid.NewGuid());
        var counter = meter.CreateCounter<long>("tcptoolkit.test.counter");
        var ignored = other.CreateCounter<long>("unrelated.counter");
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddTcpToolkitInstrumentation()
            .AddReader(new BaseExportingMetricReader(new CollectingExporter(exported)))
            .Build();

        counter.Add(3);
        ignored.Add(1);
        provider.ForceFlush();

        exported.Should().Contain("tcptoolkit.test.counter").And.NotContain("unrelated.counter");
    }

    [Fact]
    public void TracerProvider_AddTcpToolkitInstrumentation_SamplesTheTcpToolkitSource()
    {
        using var source = new ActivitySource(TcpToolkitTelemetry.ActivitySourceName);
        using var other = new ActivitySource("Unrelated." + Guid.NewGuid());
        using var provider = Sdk.CreateTracerProviderBuilder().AddTcpToolkitInstrumentation().Build();

        using var ours = source.StartActivity("call");
        using var theirs = other.StartActivity("call");

        ours.Should().NotBeNull("the provider listens to the TcpToolkit source");
        theirs.Should().BeNull("nothing listens to another source");
    }

    private sealed class CollectingExporter(List<string> names) : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                names.Add(metric.Name);
            }

            return ExportResult.Success;
        }
    }
}
