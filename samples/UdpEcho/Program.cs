using TcpToolkit.Samples.UdpEcho;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C stops the server (or a waiting client) cleanly instead of killing the process.
    e.Cancel = true;
    stop.Cancel();
};

return await UdpEchoApp.RunAsync(args, Console.Out, listening: null, stop.Token);
