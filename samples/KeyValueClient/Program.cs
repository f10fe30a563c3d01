using TcpToolkit.Samples.KeyValueClient;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await KeyValueClientApp.RunAsync(args, Console.Out, completed: null, stop.Token);
