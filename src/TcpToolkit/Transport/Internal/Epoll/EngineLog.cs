using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// Events of the epoll engine (its loops and their watchdog). Event IDs 400-499; never reuse an ID, mark retired ones
/// Reserved.
/// </summary>
/// <remarks>
/// The loops are process-wide, so no server or client owns them and there is no logger to pass down. The engine logs
/// through one static logger instead: the connection logger of the first <c>TcpServer</c> or <c>TcpClient</c> whose
/// options carry a real <c>LoggerFactory</c> (not the <see cref="NullLoggerFactory"/> default), adopted when its
/// <see cref="ConnectionSettings"/> are created. Until then the engine logs nothing. Engine threads must never die of
/// a logger: one that throws is dropped and the engine logs nothing more.
/// </remarks>
internal static partial class EngineLog
{
    private static ILogger s_logger = NullLogger.Instance;

    /// <summary>Gets the logger the engine writes to.</summary>
    public static ILogger Logger => Volatile.Read(ref s_logger);

    /// <summary>Adopts <paramref name="logger"/> if the engine has none yet and it is a real one.</summary>
    public static void Adopt(ILogger logger)
    {
        if (logger is NullLogger || Volatile.Read(ref s_logger) is not NullLogger)
        {
            return;
        }

        Interlocked.CompareExchange(ref s_logger, logger, NullLogger.Instance);
    }

    /// <summary>Replaces the engine's logger and returns the previous one (tests that check engine events).</summary>
    internal static ILogger ReplaceForTests(ILogger logger) => Interlocked.Exchange(ref s_logger, logger);

    public static void LoopHandedOff(string loop, long blockedMilliseconds, long suppressed)
    {
        try
        {
            LogLoopHandedOff(Logger, loop, blockedMilliseconds, suppressed);
        }
        catch (Exception ex)
        {
            DropLogger(ex);
        }
    }

    public static void BlockingCallbackReturned(string loop, long blockedMilliseconds)
    {
        try
        {
            LogBlockingCallbackReturned(Logger, loop, blockedMilliseconds);
        }
        catch (Exception ex)
        {
            DropLogger(ex);
        }
    }

    public static void LoopFailed(string loop, int errno, int connectionCount)
    {
        try
        {
            LogLoopFailed(Logger, loop, errno, connectionCount);
        }
        catch (Exception ex)
        {
            DropLogger(ex);
        }
    }

    public static void ContinuationFaulted(string loop, Exception exception)
    {
        try
        {
            LogContinuationFaulted(Logger, loop, exception);
        }
        catch (Exception ex)
        {
            DropLogger(ex);
        }
    }

    public static void InvalidBusyPoll(string value)
    {
        try
        {
            LogInvalidBusyPoll(Logger, value);
        }
        catch (Exception ex)
        {
            DropLogger(ex);
        }
    }

    public static void HandoffFailed(string loop, Exception exception)
    {
        try
        {
            LogHandoffFailed(Logger, loop, exception);
        }
        catch (Exception ex)
        {
            DropLogger(ex);
        }
    }

    public static void LoopsStarted(int loopCount, BusyPollMode busyPoll)
    {
        try
        {
            LogLoopsStarted(Logger, loopCount, busyPoll);
        }
        catch (Exception ex)
        {
            DropLogger(ex);
        }
    }

    [LoggerMessage(400, LogLevel.Warning, "I/O loop {Loop} was handed to a new thread: one callback had kept it for {BlockedMilliseconds} ms. Code after an await on a connection (or on ConnectAsync) runs on the I/O loop: move blocking or long CPU-bound work off it with Task.Run. {SuppressedCount} more handoffs were not logged since the last warning.", EventName = "LoopHandedOff")]
    private static partial void LogLoopHandedOff(ILogger logger, string loop, long blockedMilliseconds, long suppressedCount);

    [LoggerMessage(401, LogLevel.Information, "The callback that blocked I/O loop {Loop} returned after {BlockedMilliseconds} ms; its thread retires.", EventName = "BlockingCallbackReturned")]
    private static partial void LogBlockingCallbackReturned(ILogger logger, string loop, long blockedMilliseconds);

    [LoggerMessage(402, LogLevel.Critical, "epoll_wait on I/O loop {Loop} failed with errno {Errno}: its {ConnectionCount} connections are aborted and new connections use the other loops (or .NET's socket engine if none is left).", EventName = "LoopFailed")]
    private static partial void LogLoopFailed(ILogger logger, string loop, int errno, int connectionCount);

    [LoggerMessage(403, LogLevel.Error, "A continuation on I/O loop {Loop} threw; the connection whose event it was is aborted, the loop goes on.", EventName = "ContinuationFaulted")]
    private static partial void LogContinuationFaulted(ILogger logger, string loop, Exception exception);

    [LoggerMessage(404, LogLevel.Warning, "The AppContext value TcpToolkit.BusyPoll = '{Value}' is not adaptive, off or always; adaptive is used.", EventName = "InvalidBusyPoll")]
    private static partial void LogInvalidBusyPoll(ILogger logger, string value);

    [LoggerMessage(405, LogLevel.Critical, "No thread could be started to take over the blocked I/O loop {Loop}: its connections are aborted and new connections use the other loops.", EventName = "HandoffFailed")]
    private static partial void LogHandoffFailed(ILogger logger, string loop, Exception exception);

    [LoggerMessage(406, LogLevel.Debug, "Started {LoopCount} I/O loops; busy poll: {BusyPoll}.", EventName = "LoopsStarted")]
    private static partial void LogLoopsStarted(ILogger logger, int loopCount, BusyPollMode busyPoll);

    private static void DropLogger(Exception exception)
    {
        // The logger threw (a disposed factory, a broken provider). Engine threads must not die of it, and there is
        // no other place to report it: stop logging from the engine.
        _ = exception;
        Volatile.Write(ref s_logger, NullLogger.Instance);
    }
}
