using System.Globalization;
using System.Net;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// A server sample (MultiConnServer, AppServer) running in-process on 127.0.0.1, port 0. Stopping it is the Ctrl+C
/// of the program: its token fires and it prints its goodbye.
/// </summary>
internal sealed class SampleServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task<int> _run;

    private SampleServer(CancellationTokenSource stop, Task<int> run, SynchronizedStringWriter output, int port)
    {
        _stop = stop;
        _run = run;
        Output = output;
        Port = port;
    }

    public delegate Task<int> RunAsync(string[] args, TextWriter stdout, Action<EndPoint>? listening, CancellationToken cancellationToken);

    public SynchronizedStringWriter Output { get; }

    public int Port { get; }

    public string PortText => Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The address as the samples print it: <c>('127.0.0.1', port)</c>.</summary>
    public string Address => $"('127.0.0.1', {PortText})";

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public static async Task<SampleServer> StartAsync(RunAsync run)
    {
        var ct = TestServers.Timeout();
        var output = new SynchronizedStringWriter();
        var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var task = run(["127.0.0.1", "0"], output, e => listening.TrySetResult(e), stop.Token);

        // A run that ends before it listens (a bind error) fails the wait instead of hanging it.
        await Task.WhenAny(listening.Task, task).WaitAsync(ct);
        if (!listening.Task.IsCompleted)
        {
            stop.Dispose();
            throw new InvalidOperationException("The sample exited before it listened: " + output);
        }

        var endPoint = (IPEndPoint)await listening.Task;
        return new SampleServer(stop, task, output, endPoint.Port);
    }

    /// <summary>Ctrl+C: stops the sample and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run.WaitAsync(TestServers.Timeout());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }
}
