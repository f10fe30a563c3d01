using Microsoft.Extensions.Logging;

namespace TcpToolkit.Cli;

/// <summary>
/// Keeps why the last server-side TLS handshake failed: the middleware aborts such a connection before the handler
/// runs and says why only in its log (events 701 and 702, at Debug), and <c>tcptk listen</c> reports it as its error.
/// </summary>
internal sealed class HandshakeFailureLog : ILoggerFactory, ILogger
{
    // TcpToolkit.Tls's events TlsHandshakeFailed and TlsHandshakeTimedOut (README, "TLS": events 701, 702).
    private const int HandshakeFailed = 701;
    private const int HandshakeTimedOut = 702;

    private string? _last;

    /// <summary>Gets the last handshake failure's log message, or <see langword="null"/>.</summary>
    public string? Last => Volatile.Read(ref _last);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id is HandshakeFailed or HandshakeTimedOut)
        {
            Volatile.Write(ref _last, formatter(state, exception));
        }
    }
}
