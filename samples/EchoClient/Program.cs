using TcpToolkit.Samples.EchoClient;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await EchoClientApp.RunAsync(args, Console.Out, stop.Token);
