using TcpToolkit.Connections;
using TcpToolkit.Tls;
using TcpToolkit.Transport;

namespace TcpToolkit.Hosting.Internal;

/// <summary>What <see cref="TcpServerBuilder"/> collected for one named server: read when the host starts it.</summary>
internal sealed class TcpServerRegistration(string name)
{
    public string Name { get; } = name;

    /// <summary>Gets or sets the configuration section bound to the server's settings; <see langword="null"/> binds none.</summary>
    public string? SectionPath { get; set; } = name;

    /// <summary>Gets the prefix of the settings' paths in messages: the section, or the server's name without one.</summary>
    public string SettingsPath => SectionPath ?? Name;

    public Func<IServiceProvider, ConnectionHandler>? HandlerFactory { get; set; }

    public List<Func<IServiceProvider, ConnectionHandler, ConnectionHandler>> Middleware { get; } = [];

    public List<Action<IServiceProvider, TcpServerOptions>> ConfigureServer { get; } = [];

    public List<Action<IServiceProvider, TlsServerOptions>> ConfigureTls { get; } = [];
}
