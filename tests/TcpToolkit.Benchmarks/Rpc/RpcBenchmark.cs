using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TcpToolkit.Benchmarks.Rpc.Grpc;
using TcpToolkit.Messaging;
using TcpToolkit.Transport;

namespace TcpToolkit.Benchmarks.Rpc;

/// <summary>
/// Issue #13's comparison, in one process: unary request/response with 32-byte payloads over loopback, TcpToolkit's
/// <see cref="MessageClient"/>/<see cref="MessageServer"/> against gRPC (Grpc.AspNetCore on Kestrel, Grpc.Net.Client,
/// h2c, one channel), with 64 concurrent callers on one client and with one sequential caller. Reports requests/s,
/// p50, p99 and bytes allocated per request over the measured window (GC.GetTotalAllocatedBytes, the whole process:
/// client and server), then the goals. Run: <c>dotnet run -c Release --project tests/TcpToolkit.Benchmarks -- rpc</c>.
/// </summary>
internal static class RpcBenchmark
{
    private const int PayloadSize = 32;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 5.0);
        var warmup = Option(args, "--warmup", 2.0);
        var concurrency = (int)Option(args, "--callers", 64);
        var only = args.Contains("--tcptoolkit-only") ? "tcptoolkit" : args.Contains("--grpc-only") ? "grpc" : null;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rpc: {PayloadSize}-byte echo, {concurrency} callers and 1 caller, {warmup}s warm-up + {seconds}s each; {Environment.ProcessorCount} cores; load before: {LoadAverage()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"system",-12} {"callers",7} {"req/s",12} {"p50 us",9} {"p99 us",9} {"B/req",8}"));
        using var trace = args.Contains("--alloc-trace") ? new AllocationTrace() : null;
        using var listening = args.Contains("--metrics") ? TelemetryListener.Start(traces: args.Contains("--unsampled-traces")) : null;
        if (listening is not null)
        {
            Console.WriteLine("listening: every instrument of the TcpToolkit meter" + (args.Contains("--unsampled-traces") ? ", and the TcpToolkit activity source (sampling nothing)" : string.Empty));
        }

        var results = new List<Result>();
        if (only is null or "tcptoolkit")
        {
            await using var tcp = await TcpToolkitSide.StartAsync();
            results.Add(Print(await MeasureAsync("tcptoolkit", concurrency, warmup, seconds, tcp.CallAsync)));
            results.Add(Print(await MeasureAsync("tcptoolkit", 1, warmup, seconds, tcp.CallAsync)));
        }

        if (only is null or "grpc")
        {
            await using var grpc = await GrpcSide.StartAsync();
            results.Add(Print(await MeasureAsync("grpc", concurrency, warmup, seconds, grpc.CallAsync)));
            results.Add(Print(await MeasureAsync("grpc", 1, warmup, seconds, grpc.CallAsync)));
        }

        Console.WriteLine("load after: " + LoadAverage());
        if (listening is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"measurements recorded: {listening.Measurements:N0}"));
        }

        trace?.Print();
        if (results.Count == 4)
        {
            var (tMany, tOne, gMany, gOne) = (results[0], results[1], results[2], results[3]);
            var ratio = tMany.RequestsPerSecond / gMany.RequestsPerSecond;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal {concurrency} callers: >= 5x gRPC req/s: {ratio:F2}x {Verdict(ratio >= 5)}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal {concurrency} callers: p99 <= gRPC's: {tMany.P99:F0} vs {gMany.P99:F0} us {Verdict(tMany.P99 <= gMany.P99)}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal 1 caller: p50 <= gRPC's: {tOne.P50:F0} vs {gOne.P50:F0} us {Verdict(tOne.P50 <= gOne.P50)}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal 0 B/request (TcpToolkit, {concurrency} callers): {tMany.BytesPerRequest:F1} {Verdict(tMany.BytesPerRequest < 1)}"));
        }

        return 0;
    }

    private static string Verdict(bool met) => met ? "met" : "MISSED";

    private static Result Print(Result result)
    {
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{result.System,-12} {result.Callers,7} {result.RequestsPerSecond,12:N0} {result.P50,9:F0} {result.P99,9:F0} {result.BytesPerRequest,8:F1}"));
        return result;
    }

    private static async Task<Result> MeasureAsync(string system, int callers, double warmup, double seconds, Func<byte[], ValueTask> call)
    {
        var phase = new Phase();
        var histograms = new RpcHistogram[callers];
        var counts = new long[callers];
        var workers = new Task[callers];
        for (var i = 0; i < callers; i++)
        {
            var index = i;
            histograms[i] = new RpcHistogram();
            workers[i] = Task.Run(() => CallerAsync(phase, call, histograms[index], counts, index));
        }

        await Task.Delay(TimeSpan.FromSeconds(warmup));
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        Volatile.Write(ref phase.Measuring, true);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref phase.Measuring, false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Volatile.Write(ref phase.Stopped, true);
        await Task.WhenAll(workers);

        var all = new RpcHistogram();
        foreach (var histogram in histograms)
        {
            all.Add(histogram);
        }

        var requests = all.Count;
        return new Result(system, callers, requests / elapsed.TotalSeconds, all.QuantileMicroseconds(0.50), all.QuantileMicroseconds(0.99), requests == 0 ? 0 : (double)allocated / requests);
    }

    private static async Task CallerAsync(Phase phase, Func<byte[], ValueTask> call, RpcHistogram histogram, long[] counts, int index)
    {
        var payload = new byte[PayloadSize];
        payload.AsSpan().Fill((byte)index);
        while (!Volatile.Read(ref phase.Stopped))
        {
            var start = Stopwatch.GetTimestamp();
            await call(payload);
            if (Volatile.Read(ref phase.Measuring))
            {
                histogram.Record(Stopwatch.GetTimestamp() - start);
                counts[index]++;
            }
        }
    }

    private static double Option(string[] args, string name, double fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private sealed class Phase
    {
        public bool Measuring;
        public bool Stopped;
    }

    private sealed record Result(string System, int Callers, double RequestsPerSecond, double P50, double P99, double BytesPerRequest);

    /// <summary>TcpToolkit: a TcpServer running a MessageServer with an "echo" route, and one MessageClient.</summary>
    private sealed class TcpToolkitSide : IAsyncDisposable
    {
        private readonly TcpServer _server;
        private readonly MessageClient _client;

        private TcpToolkitSide(TcpServer server, MessageClient client)
        {
            _server = server;
            _client = client;
        }

        public static async Task<TcpToolkitSide> StartAsync()
        {
            var messages = new MessageServer().Map("echo", static (request, _) =>
            {
                request.Reply.Write(request.Payload.Span);
                return ValueTask.CompletedTask;
            });
            var server = new TcpServer(new TcpServerOptions { EndPoints = { new IPEndPoint(IPAddress.Loopback, 0) } }, messages.HandleConnectionAsync);
            await server.StartAsync();
            var client = new MessageClient(server.LocalEndPoint, new MessageClientOptions { MaxInFlightRequests = 128 });
            await client.StartAsync();
            return new TcpToolkitSide(server, client);
        }

        // Pooled like the library's own async methods, so the benchmark's wrapper allocates nothing either.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask CallAsync(byte[] payload)
        {
            using var reply = await _client.SendRequestAsync("echo", payload);
            if (reply.Length != payload.Length)
            {
                throw new InvalidOperationException("Bad echo.");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            await _server.DisposeAsync();
        }
    }

    /// <summary>gRPC: Grpc.AspNetCore on Kestrel (HTTP/2 without TLS on loopback), one Grpc.Net.Client channel.</summary>
    private sealed class GrpcSide : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly GrpcChannel _channel;
        private readonly Echo.EchoClient _client;

        private GrpcSide(WebApplication app, GrpcChannel channel)
        {
            _app = app;
            _channel = channel;
            _client = new Echo.EchoClient(channel);
        }

        public static async Task<GrpcSide> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            var app = builder.Build();
            app.MapGrpcService<EchoService>();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var channel = GrpcChannel.ForAddress(address);
            return new GrpcSide(app, channel);
        }

        public async ValueTask CallAsync(byte[] payload)
        {
            var reply = await _client.CallAsync(new Payload { Data = UnsafeByteOperations.UnsafeWrap(payload) });
            if (reply.Data.Length != payload.Length)
            {
                throw new InvalidOperationException("Bad echo.");
            }
        }

        public async ValueTask DisposeAsync()
        {
            _channel.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class EchoService : Echo.EchoBase
    {
        public override Task<Payload> Call(Payload request, ServerCallContext context) => Task.FromResult(request);
    }
}
