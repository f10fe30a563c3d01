using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TcpToolkit.Benchmarks.Peers;

var peer = PeerArgs.Parse(args, acceptsInline: true);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Services.AddSingleton(peer);
if (peer.Inline)
{
    // --inline: Kestrel's named-unsafe fast mode, the second baseline of issue #11. The transport's and the
    // application's continuations run on the socket's I/O thread instead of being queued to the thread pool. Kestrel's
    // documentation pairs it with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 (which inlines the runtime's own socket
    // completions); the compare harness sets that variable for this process only.
    builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
}

builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Loopback, peer.Port, listen => listen.UseConnectionHandler<EchoConnectionHandler>()));
await using var app = builder.Build();
await app.StartAsync();

// The mode as the transport will read it, so a run's log shows which Kestrel was measured.
var transport = app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
var inlineCompletions = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") ?? "unset";
Console.WriteLine(
    "listening on 127.0.0.1:" + peer.Port + " (UnsafePreferInlineScheduling=" + transport.UnsafePreferInlineScheduling
    + ", DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=" + inlineCompletions + ")");
await app.WaitForShutdownAsync();

internal sealed class EchoConnectionHandler(PeerArgs peer) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) => PipeEcho.RunAsync(connection.Transport, peer.Length32);
}
