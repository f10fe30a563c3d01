using System.Net;
using System.Security.Authentication;
using TcpToolkit.Connections;
using TcpToolkit.Transport;

namespace TcpToolkit.Cli;

/// <summary><c>tcptk listen</c> and <c>tcptk connect</c>.</summary>
internal static class StdioCommands
{
    /// <summary>Accepts one connection on <paramref name="endPoint"/>, bridges it to the streams, then stops.</summary>
    public static async Task<int> ListenAsync(
        IPEndPoint endPoint, Codec codec, TlsSettings? tls, Stream stdin, Stream stdout, TextWriter log, Action<EndPoint>? listening, CancellationToken cancellationToken)
    {
        using var certificate = tls is null ? null : Tls.ServerCertificate(tls.CertificatePath, tls.CertificatePassword);
        if (certificate is not null)
        {
            await log.WriteLineAsync("tcptk: TLS with " + certificate.Subject + ", SHA-256 " + certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = 0;
        var options = new TcpServerOptions { EndPoints = { endPoint }, MaxConnections = 1 };
        await using var server = new TcpServer(options, async (connection, stopping) =>
        {
            if (Interlocked.Exchange(ref accepted, 1) != 0)
            {
                // netcat semantics: one peer; later ones are turned away.
                connection.Abort("tcptk listen serves one connection.");
                return;
            }

            try
            {
                await log.WriteLineAsync("tcptk: connection from " + connection.RemoteEndPoint);
                if (certificate is null)
                {
                    await StdioBridge.RunAsync(connection, codec, stdin, stdout, stopping);
                }
                else
                {
                    await using var ssl = await Tls.AuthenticateAsServerAsync(connection, certificate, stopping);
                    await StdioBridge.RunAsync(connection, ssl, codec, stdin, stdout, stopping);
                }

                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                throw;
            }
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
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
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
        await using var client = new TcpClient();
        Connection connection;
        try
        {
            connection = await client.ConnectAsync(host, port, cancellationToken);
        }
        catch (TcpConnectException ex)
        {
            await log.WriteLineAsync("tcptk connect: " + ex.Message);
            return 1;
        }

        await using (connection)
        {
            try
            {
                if (tls is null)
                {
                    await StdioBridge.RunAsync(connection, codec, stdin, stdout, cancellationToken);
                }
                else
                {
                    await using var ssl = await Tls.AuthenticateAsClientAsync(connection, host, tls.Insecure, cancellationToken);
                    await StdioBridge.RunAsync(connection, ssl, codec, stdin, stdout, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 130;
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException)
            {
                await log.WriteLineAsync("tcptk connect: " + ex.Message);
                return 1;
            }
        }

        return 0;
    }
}

/// <summary>TLS for listen/connect: <see langword="null"/> means plain TCP.</summary>
/// <param name="CertificatePath">listen: a PFX file; without one a throwaway self-signed certificate for localhost is made.</param>
/// <param name="CertificatePassword">listen: the PFX password.</param>
/// <param name="Insecure">connect: accept any server certificate.</param>
internal sealed record TlsSettings(string? CertificatePath = null, string? CertificatePassword = null, bool Insecure = false);
