using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using TcpToolkit.Hosting;
using TcpToolkit.Samples.HostedEchoServer;
using TcpToolkit.Transport;

// The echo server in the Generic Host: endpoints and limits from appsettings.json's "TcpServer" section, overridden
// the usual way (TcpServer__EndPoints__0=0.0.0.0:7000, or --TcpServer:EndPoints:0=0.0.0.0:7000); Ctrl+C drains the
// connections within the host's shutdown timeout. --metrics prints the TcpToolkit meter's instruments every second.
var metrics = args.Contains("--metrics");
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = [.. args.Where(a => a != "--metrics")],

    // appsettings.json is copied beside the program: found wherever it is started from (dotnet run --project ...).
    ContentRootPath = AppContext.BaseDirectory,
});

builder.Services.AddTcpServer().UseHandler<EchoHandler>();
builder.Services.AddHealthChecks().AddTcpServer();
builder.Services.AddSingleton<IHealthCheckPublisher, HealthLogPublisher>();
builder.Services.Configure<HealthCheckPublisherOptions>(o => (o.Delay, o.Period) = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));
if (metrics)
{
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(resource => resource.AddService("HostedEchoServer"))
        .WithMetrics(meters => meters
            .AddTcpToolkitInstrumentation()
            .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1000));
}

using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or TcpBindException)
{
    // A bad setting (its configuration path is in the message) or a port in use: say so, without a stack trace.
    await Console.Error.WriteLineAsync("HostedEchoServer could not start: " + ex.Message);
    return 1;
}

var server = host.Services.GetRequiredKeyedService<HostedTcpServer>(HostedTcpServer.DefaultName);
Console.WriteLine("HostedEchoServer listening on " + string.Join(", ", server.LocalEndPoints));
await host.WaitForShutdownAsync();
return 0;
