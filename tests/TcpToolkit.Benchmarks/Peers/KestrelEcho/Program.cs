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

var peer = PeerArgs.Parse(args, acceptsInline: true, acceptsTls: true);
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

// --tls (issue #12's baseline): the same echo handler behind Kestrel's own TLS middleware (HttpsConnectionMiddleware),
// with its defaults (the OS's TLS 1.2 and 1.3, 10 s handshake timeout, no client certificate) and a certificate made
// here, of the same kind as tcptk echo-server --tls makes.
using var certificate = peer.Tls ? SelfSignedCertificate.Create() : null;
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Loopback, peer.Port, listen =>
    {
        if (certificate is not null)
        {
            listen.UseHttps(certificate);
        }

        listen.UseConnectionHandler<EchoConnectionHandler>();
    }));
await using var app = builder.Build();
await app.StartAsync();

// The mode as the transport will read it, so a run's log shows which Kestrel was measured.
var transport = app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
var inlineCompletions = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") ?? "unset";
Console.WriteLine(
    "listening on 127.0.0.1:" + peer.Port + " (" + (certificate is null ? "" : "UseHttps with " + SelfSignedCertificate.Describe(certificate) + ", ")
    + "UnsafePreferInlineScheduling=" + transport.UnsafePreferInlineScheduling
    + ", DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=" + inlineCompletions + ")");
await app.WaitForShutdownAsync();

internal sealed class EchoConnectionHandler(PeerArgs peer) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) => PipeEcho.RunAsync(connection.Transport, peer.Length32);
}
