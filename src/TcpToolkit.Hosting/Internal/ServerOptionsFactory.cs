using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcpToolkit.Proxy;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Hosting.Internal;

/// <summary>
/// Builds a server's <see cref="TcpServerOptions"/> from its validated settings, the builder's registrations and the
/// host's services (logger factory, <see cref="TimeProvider"/>, <see cref="IMeterFactory"/>). Middleware order: the
/// PROXY protocol (first: its header precedes everything), TLS, then the builder's <c>Use</c> calls in order.
/// </summary>
internal static class ServerOptionsFactory
{
    /// <summary>Builds the options; certificates it loads are added to <paramref name="owned"/> for the server's owner to dispose.</summary>
    public static TcpServerOptions Create(TcpServerSettings settings, TcpServerRegistration registration, IServiceProvider services, List<IDisposable> owned)
    {
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var options = new TcpServerOptions
        {
            LoggerFactory = loggerFactory,
            TimeProvider = timeProvider,
            MeterFactory = services.GetService<IMeterFactory>(),
            Backlog = settings.Backlog,
            MaxConnections = settings.MaxConnections,
            ReusePort = settings.ReusePort,
            NoDelay = settings.NoDelay,
            MaxReadBufferSize = settings.MaxReadBufferSize,
            MaxWriteBufferSize = settings.MaxWriteBufferSize,
            CloseTimeout = settings.CloseTimeout,

            // Unset: the host's token (HostOptions.ShutdownTimeout) ends the drain; HostedTcpServer bounds what follows.
            ShutdownTimeout = settings.ShutdownTimeout ?? Timeout.InfiniteTimeSpan,
            IdleTimeout = settings.IdleTimeout,
            FirstByteTimeout = settings.FirstByteTimeout,
            WriteTimeout = settings.WriteTimeout,
            MinReceiveDataRate = settings.MinReceiveDataRate is { } rate ? new MinDataRate(rate, settings.MinReceiveDataRateGracePeriod) : null,
        };

        for (var i = 0; i < settings.EndPoints.Count; i++)
        {
            // Validated at start already; settings changed since (IOptionsMonitor) are checked again here.
            if (!EndPointParser.TryParse(settings.EndPoints[i], out var endPoint, out var error))
            {
                throw new InvalidOperationException($"{registration.SettingsPath}:EndPoints:{i} '{settings.EndPoints[i]}' {error}");
            }

            options.EndPoints.Add(endPoint!);
        }

        if (settings.ProxyProtocol.Enabled)
        {
            options.Middleware.UseProxyProtocol(CreateProxyOptions(settings.ProxyProtocol, loggerFactory, timeProvider));
        }

        if (settings.Tls.CertificatePath is not null || registration.ConfigureTls.Count > 0)
        {
            var tls = CreateTlsOptions(settings.Tls, services, loggerFactory, timeProvider, owned);
            foreach (var configure in registration.ConfigureTls)
            {
                configure(services, tls);
            }

            if (tls.ServerCertificate is null && tls.ServerCertificateSelector is null)
            {
                throw new InvalidOperationException($"{registration.SettingsPath}:Tls has no certificate: set {registration.SettingsPath}:Tls:CertificatePath, or a certificate or selector in ConfigureTls.");
            }

            options.Middleware.UseTls(tls);
        }

        foreach (var middleware in registration.Middleware)
        {
            options.Middleware.Use(next => middleware(services, next));
        }

        foreach (var configure in registration.ConfigureServer)
        {
            configure(services, options);
        }

        return options;
    }

    private static ProxyProtocolOptions CreateProxyOptions(TcpServerProxyProtocolSettings settings, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        var proxy = new ProxyProtocolOptions
        {
            LoggerFactory = loggerFactory,
            TimeProvider = timeProvider,
            TrustUnixDomainSocketPeers = settings.TrustUnixDomainSocketPeers,
            MaxHeaderSize = settings.MaxHeaderSize,
            HeaderTimeout = settings.HeaderTimeout,
        };
        if (settings.TrustedProxies.Count > 0)
        {
            proxy.TrustedProxies.Clear();
            foreach (var network in settings.TrustedProxies)
            {
                proxy.TrustedProxies.Add(IPNetwork.Parse(network));
            }
        }

        return proxy;
    }

    private static TlsServerOptions CreateTlsOptions(TcpServerTlsSettings settings, IServiceProvider services, ILoggerFactory loggerFactory, TimeProvider timeProvider, List<IDisposable> owned)
    {
        var tls = new TlsServerOptions
        {
            LoggerFactory = loggerFactory,
            TimeProvider = timeProvider,
            ClientCertificateMode = settings.ClientCertificateMode,
            HandshakeTimeout = settings.HandshakeTimeout,
            EnabledProtocols = settings.EnabledProtocols,
        };
        if (settings.CertificatePath is not null)
        {
            var (certificate, chain) = CertificateLoader.LoadServerCertificate(
                TcpServerSettingsValidator.ResolvePath(services, settings.CertificatePath),
                settings.CertificateKeyPath is null ? null : TcpServerSettingsValidator.ResolvePath(services, settings.CertificateKeyPath),
                settings.CertificatePassword);
            owned.Add(certificate);
            owned.AddRange(chain);
            tls.ServerCertificate = certificate;
            tls.ServerCertificateChain.AddRange(chain);
        }

        if (settings.ClientCertificateAuthorityPath is not null)
        {
            var authorities = CertificateLoader.LoadAuthorities(TcpServerSettingsValidator.ResolvePath(services, settings.ClientCertificateAuthorityPath));
            owned.AddRange(authorities);
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,

                // A private authority rarely publishes revocation lists; ConfigureTls can set another policy.
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(authorities);
            tls.CertificateChainPolicy = policy;
        }

        return tls;
    }
}
