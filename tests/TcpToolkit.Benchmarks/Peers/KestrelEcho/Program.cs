using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TcpToolkit.Benchmarks.Peers;

var peer = PeerArgs.Parse(args);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Services.AddSingleton(peer);
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Loopback, peer.Port, listen => listen.UseConnectionHandler<EchoConnectionHandler>()));
await using var app = builder.Build();
await app.StartAsync();
Console.WriteLine("listening on 127.0.0.1:" + peer.Port);
await app.WaitForShutdownAsync();

internal sealed class EchoConnectionHandler(PeerArgs peer) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) => PipeEcho.RunAsync(connection.Transport, peer.Length32);
}
