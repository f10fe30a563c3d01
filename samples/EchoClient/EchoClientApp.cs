using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TcpToolkit.Tls;
using TcpToolkit.Transport;
using TcpClient = TcpToolkit.Transport.TcpClient;

namespace TcpToolkit.Samples.EchoClient;

/// <summary>
/// The guide's echo client (echo-client.py) on TcpToolkit: connects, sends <c>Hello, world</c>, receives once
/// (one <c>recv(1024)</c>, as the guide), closes first with FIN, and prints <c>Received b'Hello, world'</c>.
/// <c>--tls</c> speaks TLS and validates the server's certificate for <c>--host</c> against the system's roots,
/// or against the CA certificates of <c>--ca ca.pem</c>; <c>--insecure</c> accepts any certificate (tests only).
/// </summary>
public static class EchoClientApp
{
    /// <summary>Usage line.</summary>
    public const string Usage = "Usage: EchoClient [--host 127.0.0.1] [--port 65432] [--tls [--ca ca.pem | --insecure]]";

    /// <summary>Runs the client once.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where the guide's line is printed.</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <returns>The exit code: 0, or 1 when the connection fails.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, CancellationToken cancellationToken)
    {
        var parsed = SampleArgs.Parse(args, "--tls", "--insecure");
        var tls = parsed.Has("--tls");
        if (parsed.Positional.Count > 0 || (!tls && (parsed.Has("--ca") || parsed.Has("--insecure"))) || (parsed.Has("--ca") && parsed.Has("--insecure")))
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 1;
        }

        var host = parsed.Get("--host", "127.0.0.1");
        var port = parsed.GetInt("--port", 65432);

        var options = new TcpClientOptions();
        if (tls)
        {
            var tlsOptions = new TlsClientOptions { TargetHost = host };
            if (parsed.Has("--insecure"))
            {
                // What --insecure asks for, and only then: any certificate, any name.
                tlsOptions.RemoteCertificateValidation = (_, _, _) => true;
            }
            else if (parsed.Has("--ca"))
            {
                var authorities = new X509Certificate2Collection();
                try
                {
                    authorities.ImportFromPemFile(parsed.Get("--ca", string.Empty));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
                {
                    await stdout.WriteLineAsync("Cannot load the CA certificates: " + ex.Message).ConfigureAwait(false);
                    return 1;
                }

                // Strict validation (chain and name) against these roots instead of the system's.
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                policy.CustomTrustStore.AddRange(authorities);
                tlsOptions.CertificateChainPolicy = policy;
            }

            options.Middleware.UseTls(tlsOptions);
        }

        await using var client = new TcpClient(options);
        ConnectResult attempt;
        try
        {
            attempt = await client.TryConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (TlsHandshakeException ex)
        {
            await stdout.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }

        if (!attempt.IsConnected)
        {
            var message = attempt.SocketError == SocketError.ConnectionRefused
                ? "ConnectionRefusedError: [Errno 111] Connection refused"
                : $"Could not connect to {GuideFormat.Address(host, port)}: {attempt.SocketError}";
            await stdout.WriteLineAsync(message).ConfigureAwait(false);
            return 1;
        }

        var data = new byte[1024];
        int received;
        await using (var connection = attempt.Connection)
        {
            await connection.SendAsync("Hello, world"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            received = await connection.ReceiveAsync(data, cancellationToken).ConfigureAwait(false);
        }

        // Printed after the close, like the guide (the print follows the with-block).
        await stdout.WriteLineAsync("Received " + GuideFormat.Bytes(data.AsSpan(0, received))).ConfigureAwait(false);
        return 0;
    }
}
