using TcpToolkit.Samples.MultiConnClient;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await MultiConnClientApp.RunAsync(args, Console.Out, stop.Token);
