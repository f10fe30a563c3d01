using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TcpToolkit.Connections;

namespace TcpToolkit.Hosting.Tests;

/// <summary>Generic hosts for the tests: no default sources (no environment, no appsettings.json), the settings given.</summary>
internal static class TestHosts
{
    public static IHost Build(IDictionary<string, string?> settings, Action<TcpServerBuilder> server, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        server(builder.Services.AddTcpServer());
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>A host whose one server echoes, listening on 127.0.0.1 port 0, plus <paramref name="settings"/>.</summary>
    public static IHost BuildEcho(IDictionary<string, string?>? settings = null, Action<HostApplicationBuilder>? configure = null)
    {
        var all = new Dictionary<string, string?> { ["TcpServer:EndPoints:0"] = "127.0.0.1:0" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return Build(all, server => server.UseHandler(EchoAsync), configure);
    }

    public static HostedTcpServer TcpServer(this IHost host, string name = HostedTcpServer.DefaultName)
        => host.Services.GetRequiredKeyedService<HostedTcpServer>(name);

    public static async Task EchoAsync(Connection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        int read;
        while ((read = await connection.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            await connection.SendAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    public static async Task<Socket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="text"/> and reads as many bytes back.</summary>
    public static async Task<string> RoundTripAsync(Socket socket, string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
        var reply = new byte[bytes.Length];
        var got = 0;
        while (got < reply.Length)
        {
            var read = await socket.ReceiveAsync(reply.AsMemory(got), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                break;
            }

            got += read;
        }

        return Encoding.ASCII.GetString(reply, 0, got);
    }

    /// <summary>Reads until the peer closes (0) or resets the connection; returns what arrived.</summary>
    public static async Task<string> ReadToEndOrResetAsync(Socket socket, CancellationToken cancellationToken)
    {
        var all = new StringBuilder();
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
            {
                all.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            // An abort or a refusal: the connection ended without a FIN.
        }

        return all.ToString();
    }
}
