using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TcpToolkit.Connections;
using TcpToolkit.Hosting.Internal;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Hosting;

/// <summary>
/// Configures one hosted TCP server (returned by <c>services.AddTcpServer()</c>): its handler, its middleware, where its
/// settings come from, and what code adds to them. Everything here is applied when the host starts the server.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddTcpServer()                       // settings from the "TcpServer" section
///     .Use((services, next) => async (connection, cancellationToken) =>
///     {
///         services.GetRequiredService&lt;ILogger&lt;Program&gt;&gt;().LogInformation("{Remote}", connection.RemoteEndPoint);
///         await next(connection, cancellationToken);
///     })
///     .UseHandler&lt;EchoHandler&gt;();                       // resolved from DI
/// </code>
/// </example>
public sealed class TcpServerBuilder
{
    private readonly TcpServerRegistration _registration;

    internal TcpServerBuilder(IServiceCollection services, TcpServerRegistration registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>Gets the server's name: its key in DI (<see cref="HostedTcpServer"/>), its options' name, its default configuration section.</summary>
    public string Name => _registration.Name;

    /// <summary>Gets the service collection the server is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Binds the server's <see cref="TcpServerSettings"/> to another configuration section than the default (the
    /// server's name, <c>TcpServer</c> for the default server), or to none.
    /// </summary>
    /// <param name="sectionPath">The section's path, such as <c>Servers:Public</c>; <see langword="null"/> binds nothing (code sets everything).</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder BindConfiguration(string? sectionPath)
    {
        if (sectionPath is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(sectionPath);
        }

        _registration.SectionPath = sectionPath;
        return this;
    }

    /// <summary>Changes the settings in code, after they are bound from configuration (so code wins where both set a value).</summary>
    /// <param name="configure">Changes the settings.</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder Configure(Action<TcpServerSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(Name, configure);
        return this;
    }

    /// <summary>
    /// Changes the <see cref="TcpServerOptions"/> built from the settings, last, just before the server is created:
    /// for what configuration cannot say (an endpoint with middleware of its own through
    /// <see cref="TcpServerOptions.Listen"/>, another logger factory).
    /// </summary>
    /// <param name="configure">Gets the host's services and the options.</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder ConfigureServer(Action<IServiceProvider, TcpServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _registration.ConfigureServer.Add(configure);
        return this;
    }

    /// <summary>
    /// Turns TLS on for the server (if the settings have no certificate) and changes its <see cref="TlsServerOptions"/>
    /// after the settings are applied: a certificate from a store or a secret manager, a
    /// <see cref="TlsServerOptions.ServerCertificateSelector"/> for SNI, a client certificate validation callback, ALPN.
    /// </summary>
    /// <param name="configure">Gets the host's services and the TLS options.</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder ConfigureTls(Action<IServiceProvider, TlsServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _registration.ConfigureTls.Add(configure);
        return this;
    }

    /// <summary>
    /// Adds a connection middleware (see <see cref="ConnectionBuilder"/>) inside the ones added before: after the PROXY
    /// protocol and TLS, so it sees the client's address and plaintext.
    /// </summary>
    /// <param name="middleware">Gets the next handler, returns the handler that wraps it.</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder Use(Func<ConnectionHandler, ConnectionHandler> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        _registration.Middleware.Add((_, next) => middleware(next));
        return this;
    }

    /// <summary>Adds a connection middleware that takes the host's services (see <see cref="Use(Func{ConnectionHandler, ConnectionHandler})"/>).</summary>
    /// <param name="middleware">Gets the host's services and the next handler, returns the handler that wraps it; called once, at start.</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder Use(Func<IServiceProvider, ConnectionHandler, ConnectionHandler> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        _registration.Middleware.Add(middleware);
        return this;
    }

    /// <summary>
    /// Serves connections with <typeparamref name="THandler"/>, resolved from the host's services once, when the server
    /// starts (registered as a singleton here unless it already is registered).
    /// </summary>
    /// <typeparam name="THandler">The handler class.</typeparam>
    /// <returns>This builder.</returns>
    public TcpServerBuilder UseHandler<THandler>()
        where THandler : class, ITcpConnectionHandler
    {
        Services.TryAddSingleton<THandler>();
        _registration.HandlerFactory = static services => services.GetRequiredService<THandler>().HandleConnectionAsync;
        return this;
    }

    /// <summary>
    /// Serves connections with the handler a factory returns, called once, when the server starts: for example
    /// <c>services =&gt; services.GetRequiredService&lt;MessageServer&gt;().HandleConnectionAsync</c>.
    /// </summary>
    /// <param name="factory">Gets the host's services, returns the handler.</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder UseHandler(Func<IServiceProvider, ConnectionHandler> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registration.HandlerFactory = factory;
        return this;
    }

    /// <summary>Serves connections with <paramref name="handler"/>.</summary>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public TcpServerBuilder UseHandler(ConnectionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _registration.HandlerFactory = _ => handler;
        return this;
    }
}
