using TcpToolkit.Samples.AppServer;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C: print the guide's goodbye and stop gracefully.
    e.Cancel = true;
    stop.Cancel();
};

return await AppServerApp.RunAsync(args, Console.Out, listening: null, stop.Token);
