using TcpToolkit.Samples.AppClient;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await AppClientApp.RunAsync(args, Console.Out, stop.Token);
