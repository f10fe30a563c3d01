using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TcpToolkit.Tls;

namespace TcpToolkit.Hosting.Internal;

/// <summary>
/// Checks one server's settings when the host starts (ValidateOnStart), so a bad value stops the start with a message
/// that names the setting's configuration path (<c>TcpServer:EndPoints:1 'localhost:x' is not an IP endpoint</c>),
/// every bad value at once, instead of failing later inside a setter or a bind.
/// </summary>
internal sealed class TcpServerSettingsValidator(TcpServerRegistration registration, IServiceProvider services) : IValidateOptions<TcpServerSettings>
{
    /// <summary>The largest PROXY protocol header limit (16-byte prefix + a 65,535-byte block).</summary>
    private const int LargestProxyHeader = 16 + ushort.MaxValue;

    /// <summary>The smallest PROXY protocol header limit (a version 2 AF_UNIX header without TLVs).</summary>
    private const int SmallestProxyHeader = 16 + 216;

    public ValidateOptionsResult Validate(string? name, TcpServerSettings options)
    {
        if (name != registration.Name)
        {
            return ValidateOptionsResult.Skip;
        }

        ArgumentNullException.ThrowIfNull(options);
        var path = registration.SettingsPath;
        var failures = new List<string>();
        if (registration.HandlerFactory is null)
        {
            failures.Add($"{path} has no connection handler: call UseHandler on the builder that AddTcpServer(\"{registration.Name}\") returned");
        }

        ValidateEndPoints(options, path, failures);
        PositiveOrNull(options.MaxConnections, path + ":MaxConnections", failures);
        Positive(options.Backlog, path + ":Backlog", failures);
        PositiveOrNull(options.MaxReadBufferSize, path + ":MaxReadBufferSize", failures);
        PositiveOrNull(options.MaxWriteBufferSize, path + ":MaxWriteBufferSize", failures);
        Positive(options.CloseTimeout, path + ":CloseTimeout", failures);
        PositiveOrNull(options.ShutdownTimeout, path + ":ShutdownTimeout", failures);
        PositiveOrNull(options.IdleTimeout, path + ":IdleTimeout", failures);
        PositiveOrNull(options.FirstByteTimeout, path + ":FirstByteTimeout", failures);
        PositiveOrNull(options.WriteTimeout, path + ":WriteTimeout", failures);
        if (options.MinReceiveDataRate is { } rate)
        {
            if (!double.IsFinite(rate) || rate <= 0)
            {
                failures.Add($"{path}:MinReceiveDataRate must be a positive number of bytes per second (or null for no minimum), not {rate}");
            }

            Positive(options.MinReceiveDataRateGracePeriod, path + ":MinReceiveDataRateGracePeriod", failures);
        }

        ValidateTls(options.Tls, path + ":Tls", failures);
        ValidateProxyProtocol(options.ProxyProtocol, path + ":ProxyProtocol", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Resolves a file path of the settings against the host's content root.</summary>
    internal static string ResolvePath(IServiceProvider services, string path)
        => Path.IsPathRooted(path)
            ? path
            : Path.Combine(services.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory(), path);

    private void ValidateEndPoints(TcpServerSettings options, string path, List<string> failures)
    {
        if (options.EndPoints.Count == 0 && registration.ConfigureServer.Count == 0)
        {
            failures.Add($"{path}:EndPoints is empty: configure at least one endpoint, such as {path}:EndPoints:0 = 127.0.0.1:65432");
        }

        for (var i = 0; i < options.EndPoints.Count; i++)
        {
            var text = options.EndPoints[i];
            if (!EndPointParser.TryParse(text, out _, out var error))
            {
                failures.Add($"{path}:EndPoints:{i} '{text}' {error}");
            }
        }
    }

    private void ValidateTls(TcpServerTlsSettings tls, string path, List<string> failures)
    {
        if (!Enum.IsDefined(tls.ClientCertificateMode))
        {
            failures.Add($"{path}:ClientCertificateMode must be None, Allow or Require, not {tls.ClientCertificateMode}");
        }

        if (tls.HandshakeTimeout <= TimeSpan.Zero || tls.HandshakeTimeout == Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{path}:HandshakeTimeout must be positive (a handshake is always bounded), not {tls.HandshakeTimeout}");
        }

        const SslProtocols supported = SslProtocols.Tls12 | SslProtocols.Tls13;
        if (tls.EnabledProtocols == SslProtocols.None || (tls.EnabledProtocols & ~supported) != 0)
        {
            failures.Add($"{path}:EnabledProtocols must be Tls12, Tls13 or both ('Tls12, Tls13'), not '{tls.EnabledProtocols}'");
        }

        if (tls.CertificatePath is null)
        {
            if (tls.CertificateKeyPath is not null)
            {
                failures.Add($"{path}:CertificateKeyPath is set without {path}:CertificatePath");
            }
        }
        else if (FileExists(tls.CertificatePath, path + ":CertificatePath", failures)
            && (tls.CertificateKeyPath is null || FileExists(tls.CertificateKeyPath, path + ":CertificateKeyPath", failures)))
        {
            try
            {
                var (certificate, chain) = CertificateLoader.LoadServerCertificate(
                    ResolvePath(services, tls.CertificatePath),
                    tls.CertificateKeyPath is null ? null : ResolvePath(services, tls.CertificateKeyPath),
                    tls.CertificatePassword);
                certificate.Dispose();
                CertificateLoader.DisposeAll(chain);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                failures.Add($"{path}:CertificatePath '{tls.CertificatePath}' could not be loaded{(tls.CertificatePassword is null ? "" : " with " + path + ":CertificatePassword")}: {ex.Message}");
            }
        }

        if (tls.ClientCertificateAuthorityPath is not null
            && FileExists(tls.ClientCertificateAuthorityPath, path + ":ClientCertificateAuthorityPath", failures))
        {
            try
            {
                CertificateLoader.DisposeAll(CertificateLoader.LoadAuthorities(ResolvePath(services, tls.ClientCertificateAuthorityPath)));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{path}:ClientCertificateAuthorityPath '{tls.ClientCertificateAuthorityPath}' could not be loaded: {ex.Message}");
            }
        }

        var tlsOn = tls.CertificatePath is not null || registration.ConfigureTls.Count > 0;
        if (!tlsOn && (tls.ClientCertificateMode != ClientCertificateMode.None || tls.ClientCertificateAuthorityPath is not null))
        {
            failures.Add($"{path} asks for client certificates but TLS is off: set {path}:CertificatePath");
        }
    }

    private static void ValidateProxyProtocol(TcpServerProxyProtocolSettings proxy, string path, List<string> failures)
    {
        for (var i = 0; i < proxy.TrustedProxies.Count; i++)
        {
            var text = proxy.TrustedProxies[i];
            if (!IPNetwork.TryParse(text, out _))
            {
                failures.Add($"{path}:TrustedProxies:{i} '{text}' is not a network in CIDR notation (such as 10.0.0.0/24, 192.0.2.7/32 or fd00::/8)");
            }
        }

        if (proxy.MaxHeaderSize is < SmallestProxyHeader or > LargestProxyHeader)
        {
            failures.Add($"{path}:MaxHeaderSize must be {SmallestProxyHeader} to {LargestProxyHeader} bytes, not {proxy.MaxHeaderSize}");
        }

        PositiveOrNull(proxy.HeaderTimeout, path + ":HeaderTimeout", failures);
    }

    private bool FileExists(string file, string key, List<string> failures)
    {
        var resolved = ResolvePath(services, file);
        if (File.Exists(resolved))
        {
            return true;
        }

        failures.Add($"{key} '{file}' does not exist{(resolved == file ? "" : " (looked for " + resolved + ")")}");
        return false;
    }

    private static void Positive(int value, string key, List<string> failures)
    {
        if (value <= 0)
        {
            failures.Add($"{key} must be positive, not {value}");
        }
    }

    private static void PositiveOrNull(long? value, string key, List<string> failures)
    {
        if (value is <= 0)
        {
            failures.Add($"{key} must be positive (or null for unlimited), not {value}");
        }
    }

    private static void Positive(TimeSpan value, string key, List<string> failures)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{key} must be positive, not {value}");
        }
    }

    private static void PositiveOrNull(TimeSpan? value, string key, List<string> failures)
    {
        if (value is { } span && span <= TimeSpan.Zero)
        {
            failures.Add($"{key} must be positive (or null for none), not {span}");
        }
    }
}
