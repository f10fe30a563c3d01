using System.Runtime.InteropServices;
using TcpToolkit.Samples.ChatServer;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C stops the server gracefully instead of killing the process.
    e.Cancel = true;
    stop.Cancel();
};

// SIGTERM (kill, docker stop, systemd) too.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

return await ChatServerApp.RunAsync(args, Console.Out, listening: null, stop.Token);
