using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TcpToolkit.Hosting;
using TcpToolkit.Hosting.Internal;

// The .NET convention for AddX extensions: found without a using, beside AddOptions and AddHostedService.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers TcpToolkit servers in a host's services.</summary>
public static class TcpServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers a TCP server that starts and stops with the host: a <see cref="HostedTcpServer"/> (keyed by
    /// <paramref name="name"/>) run as a hosted service, whose <see cref="TcpServerSettings"/> are bound from the
    /// configuration section named <paramref name="name"/> (<c>TcpServer</c> by default) and validated when the host
    /// starts. Give each server its own name to run several (a public one behind a load balancer, an admin one).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="name">The server's name: its DI key, options name and default configuration section.</param>
    /// <returns>The builder that sets the server's handler and middleware.</returns>
    /// <exception cref="InvalidOperationException">A server of that name is already registered.</exception>
    public static TcpServerBuilder AddTcpServer(this IServiceCollection services, string name = HostedTcpServer.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(HostedTcpServer) && Equals(d.ServiceKey, name)))
        {
            throw new InvalidOperationException($"A TCP server named {name} is already registered: give each server its own name.");
        }

        var registration = new TcpServerRegistration(name);
        services.AddOptions();

        // Bound first, so the builder's Configure calls (registered after) win; the section is read when the options
        // are built, so BindConfiguration may change it after this call.
        services.AddSingleton<IConfigureOptions<TcpServerSettings>>(provider => new ConfigureNamedOptions<TcpServerSettings>(name, settings =>
        {
            if (registration.SectionPath is { } section && provider.GetService<IConfiguration>() is { } configuration)
            {
                // A misspelt key fails the start instead of being ignored.
                configuration.GetSection(section).Bind(settings, binder => binder.ErrorOnUnknownConfiguration = true);
            }
        }));
        services.AddSingleton<IValidateOptions<TcpServerSettings>>(provider => new TcpServerSettingsValidator(registration, provider));
        services.AddOptions<TcpServerSettings>(name).ValidateOnStart();

        services.AddKeyedSingleton(name, (provider, _) => new HostedTcpServer(registration, provider));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<HostedTcpServer>(name));
        return new TcpServerBuilder(services, registration);
    }
}
