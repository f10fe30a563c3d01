using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using TcpToolkit.Connections;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Cli;

/// <summary><c>tcptk listen</c> and <c>tcptk connect</c>; TLS is the library's middleware (<c>UseTls</c>).</summary>
internal static class StdioCommands
{
    /// <summary>Accepts one connection on <paramref name="endPoint"/>, bridges it to the streams, then stops.</summary>
    public static async Task<int> ListenAsync(
        IPEndPoint endPoint, Codec codec, TlsSettings? tls, Stream stdin, Stream stdout, TextWriter log, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        var handshakeFailures = new HandshakeFailureLog();
        ServerTls? serverTls;
        try
        {
            serverTls = tls is null ? null : ServerTls.Create(tls, handshakeFailures);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            await log.WriteLineAsync("tcptk listen: cannot load the certificate: " + ex.Message);
            return 1;
        }

        using var certificates = serverTls;
        if (serverTls is not null)
        {
            await log.WriteLineAsync("tcptk: TLS with " + serverTls.Description);
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = 0;
        var options = new TcpServerOptions { EndPoints = { endPoint }, MaxConnections = 1 };

        // Outermost, before TLS: one peer (netcat semantics), and the end of the session however it ends, including a
        // handshake that fails (the TLS middleware then aborts the connection without running the bridge).
        options.Middleware.Use(next => async (connection, stopping) =>
        {
            if (Interlocked.Exchange(ref accepted, 1) != 0)
            {
                connection.Abort("tcptk listen serves one connection.");
                return;
            }

            await log.WriteLineAsync("tcptk: connection from " + connection.RemoteEndPoint);
            try
            {
                await next(connection, stopping);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                throw;
            }

            done.TrySetException(new AuthenticationException(handshakeFailures.Last ?? "The TLS handshake failed."));
        });
        if (serverTls is not null)
        {
            options.Middleware.UseTls(serverTls.Options);
        }

        await using var server = new TcpServer(options, async (connection, stopping) =>
        {
            await StdioBridge.RunAsync(connection, codec, stdin, stdout, stopping);
            done.TrySetResult();
        });

        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch (TcpBindException ex)
        {
            await log.WriteLineAsync("tcptk listen: " + ex.Message);
            return 1;
        }

        await log.WriteLineAsync("tcptk: listening on " + server.LocalEndPoint);
        listening?.Invoke(server.LocalEndPoint);
        try
        {
            await done.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or ConnectionAbortedException)
        {
            await log.WriteLineAsync("tcptk listen: " + ex.Message);
            return 1;
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and bridges the connection to the streams.</summary>
    public static async Task<int> ConnectAsync(
        string host, int port, Codec codec, TlsSettings? tls, Stream stdin, Stream stdout, TextWriter log, CancellationToken cancellationToken)
    {
        var options = new TcpClientOptions();
        if (tls is not null)
        {
            // The handshake runs inside ConnectAsync; the certificate is validated for --host unless --insecure.
            options.Middleware.UseTls(Tls.ClientOptions(host, tls.Insecure));
        }

        await using var client = new TcpClient(options);
        Connection connection;
        try
        {
            connection = await client.ConnectAsync(host, port, cancellationToken);
        }
        catch (Exception ex) when (ex is TcpConnectException or TlsHandshakeException)
        {
            await log.WriteLineAsync("tcptk connect: " + ex.Message);
            return 1;
        }

        await using (connection)
        {
            try
            {
                // Over TLS too: stdin's EOF completes the TLS layer's output, which sends close_notify, then FIN.
                await StdioBridge.RunAsync(connection, codec, stdin, stdout, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 130;
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException or ConnectionAbortedException)
            {
                await log.WriteLineAsync("tcptk connect: " + ex.Message);
                return 1;
            }
        }

        return 0;
    }
}
