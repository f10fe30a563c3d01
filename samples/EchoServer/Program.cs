using TcpToolkit.Samples.EchoServer;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C stops the server gracefully instead of killing the process.
    e.Cancel = true;
    stop.Cancel();
};

return await EchoServerApp.RunAsync(args, Console.Out, listening: null, stop.Token);
