using System.Net;
using Pipelines.Sockets.Unofficial;
using TcpToolkit.Benchmarks.Peers;

var peer = PeerArgs.Parse(args);
using var server = new PsuEchoServer(peer.Length32);
server.Listen(new IPEndPoint(IPAddress.Loopback, peer.Port));
Console.WriteLine("listening on 127.0.0.1:" + peer.Port);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

internal sealed class PsuEchoServer(bool length32) : SocketServer
{
    protected override Task OnClientConnectedAsync(in ClientConnection client) => PipeEcho.RunAsync(client.Transport, length32);
}
