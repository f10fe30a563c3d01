using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TcpToolkit.Hosting.Internal;
using TcpToolkit.Transport;

namespace TcpToolkit.Hosting;

/// <summary>
/// A <see cref="TcpServer"/> that starts and stops with the host (registered by <c>services.AddTcpServer()</c>, and
/// resolved as the keyed service of its name: <c>services.GetRequiredKeyedService&lt;HostedTcpServer&gt;("TcpServer")</c>).
/// Its settings are validated before any hosted service starts; it binds every endpoint when the host starts it (a bind
/// failure fails the host's start), and on the host's stop it stops accepting, signals the handlers and lets them
/// finish until the host's shutdown timeout (or <see cref="TcpServerSettings.ShutdownTimeout"/>), then aborts the rest.
/// </summary>
public sealed class HostedTcpServer : IHostedService, IAsyncDisposable
{
    /// <summary>The name of the server <c>AddTcpServer()</c> registers without a name, and its configuration section: <c>TcpServer</c>.</summary>
    public const string DefaultName = "TcpServer";

    private readonly TcpServerRegistration _registration;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly List<IDisposable> _owned = [];
    private TcpServer? _server;
    private TimeSpan _abortGrace;
    private TimeProvider _timeProvider = TimeProvider.System;
    private Task<ServerStopResult>? _stopping;
    private int _state;
    private int _disposed;

    internal HostedTcpServer(TcpServerRegistration registration, IServiceProvider services)
    {
        _registration = registration;
        _services = services;
        _logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("TcpToolkit.Hosting.HostedTcpServer");
    }

    /// <summary>Gets the server's name (its DI key and options name).</summary>
    public string Name => _registration.Name;

    /// <summary>
    /// Gets the running server (its connection counts, endpoints and <see cref="TcpServer.AcceptLoopFault"/>), or
    /// <see langword="null"/> before the host started it.
    /// </summary>
    public TcpServer? Server => Volatile.Read(ref _server);

    /// <summary>Gets the endpoints the server listens on, with the ports the OS chose for port 0; empty before start.</summary>
    public IReadOnlyList<EndPoint> LocalEndPoints => Server?.LocalEndPoints ?? [];

    /// <summary>Gets whether the server has started and is not stopping or stopped.</summary>
    public bool IsListening => State == HostedTcpServerState.Listening;

    /// <summary>Gets how many connections the stop drained and aborted, once the stop has finished; otherwise <see langword="null"/>.</summary>
    public ServerStopResult? StopResult => Volatile.Read(ref _stopping) is { IsCompletedSuccessfully: true } stop ? stop.Result : null;

    internal HostedTcpServerState State => (HostedTcpServerState)Volatile.Read(ref _state);

    /// <summary>Gets the server's connection limit, as it started; <see langword="null"/> for none.</summary>
    internal int? MaxConnections { get; private set; }

    /// <summary>Builds the server from its settings and the host's services, and binds every endpoint.</summary>
    /// <param name="cancellationToken">The host's start token.</param>
    /// <returns>A task that completes when the server listens.</returns>
    /// <exception cref="OptionsValidationException">The settings are invalid (normally reported earlier, by the host's start validation).</exception>
    /// <exception cref="TcpBindException">An endpoint could not be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _state, (int)HostedTcpServerState.Starting, (int)HostedTcpServerState.NotStarted) != (int)HostedTcpServerState.NotStarted)
        {
            throw new InvalidOperationException($"TCP server {Name} has already been started.");
        }

        TcpServer? server = null;
        try
        {
            var settings = _services.GetRequiredService<IOptionsMonitor<TcpServerSettings>>().Get(Name);
            var handlerFactory = _registration.HandlerFactory
                ?? throw new InvalidOperationException($"TCP server {Name} has no connection handler: call UseHandler on the builder that AddTcpServer returned.");
            var options = ServerOptionsFactory.Create(settings, _registration, _services, _owned);
            var handler = handlerFactory(_services) ?? throw new InvalidOperationException($"The handler factory of TCP server {Name} returned null.");
            _abortGrace = options.CloseTimeout;
            MaxConnections = options.MaxConnections;
            _timeProvider = options.TimeProvider;
            server = new TcpServer(options, handler);
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _state, (int)HostedTcpServerState.StartFailed);
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            DisposeOwned();
            throw;
        }

        Volatile.Write(ref _server, server);
        Volatile.Write(ref _state, (int)HostedTcpServerState.Listening);
        HostingLog.Started(_logger, Name, string.Join(", ", server.LocalEndPoints));
    }

    /// <summary>
    /// Stops the server: no new connections, every handler's token fires, and the handlers may finish until
    /// <paramref name="cancellationToken"/> fires (the host's shutdown timeout) or
    /// <see cref="TcpServerSettings.ShutdownTimeout"/> passes; then the rest are aborted. A handler that ignores even
    /// the abort is waited for <see cref="TcpServerSettings.CloseTimeout"/> more, then left behind (logged), so the
    /// host's stop is always bounded.
    /// </summary>
    /// <param name="cancellationToken">The host's stop token: it fires when the host's shutdown timeout has passed.</param>
    /// <returns>A task that completes when the server has stopped (or been left behind).</returns>
    /// <exception cref="IOException">An accept loop had died while the server ran (see <see cref="TcpServer.StopAsync"/>).</exception>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, (int)HostedTcpServerState.Stopping, (int)HostedTcpServerState.Listening) != (int)HostedTcpServerState.Listening)
        {
            return;
        }

        var stop = _server!.StopAsync(cancellationToken);
        Volatile.Write(ref _stopping, stop);
        await ((Task)stop).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!stop.IsCompleted)
        {
            // The server saw the same token and is aborting what is left; an aborted handler fails its next I/O at once.
            HostingLog.ShutdownTimeoutReached(_logger, Name);
            await ((Task)stop).WaitAsync(_abortGrace, _timeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!stop.IsCompleted)
            {
                HostingLog.StopAbandoned(_logger, Name, _abortGrace);
                Volatile.Write(ref _state, (int)HostedTcpServerState.Stopped);
                return;
            }
        }

        Volatile.Write(ref _state, (int)HostedTcpServerState.Stopped);

        // Throws the server's IOException when an accept loop had died.
        await stop.ConfigureAwait(false);
    }

    /// <summary>
    /// Releases the server and the certificates it loaded; a server still running (a host disposed without a stop)
    /// is stopped abortively first. Idempotent.
    /// </summary>
    /// <returns>A task that completes when the server is released, or left to release itself when its last abandoned handler returns.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (State == HostedTcpServerState.Listening)
        {
            try
            {
                await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The accept loop's death was logged as Critical when it happened; disposal must not throw.
            }
        }

        var server = Server;
        if (server is null)
        {
            DisposeOwned();
            return;
        }

        if (Volatile.Read(ref _stopping) is { IsCompleted: false } stopping)
        {
            // Handlers that ignored their abort still run: release the server when they return, without holding the
            // host's disposal (deliberately not awaited).
            _ = ReleaseWhenStoppedAsync(server, stopping);
            return;
        }

        await server.DisposeAsync().ConfigureAwait(false);
        DisposeOwned();
    }

    private async Task ReleaseWhenStoppedAsync(TcpServer server, Task stopping)
    {
        await stopping.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await server.DisposeAsync().ConfigureAwait(false);
        DisposeOwned();
    }

    private void DisposeOwned()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _owned.Clear();
    }
}
