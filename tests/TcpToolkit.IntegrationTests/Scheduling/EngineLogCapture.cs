using Microsoft.Extensions.Logging;
using TcpToolkit.Transport.Internal.Epoll;

namespace TcpToolkit.IntegrationTests.Scheduling;

/// <summary>
/// Tests that read the engine's events. The engine logs through one process-wide logger (see EngineLog), so these
/// tests swap it and must run alone: xunit runs a collection with parallelization disabled after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineLogCapture
{
    public const string Name = "Engine log";

    /// <summary>Routes the engine's events to <paramref name="log"/> until the returned scope is disposed.</summary>
    internal static IDisposable Capture(EngineEventLog log)
    {
        EpollWatchdog.ResetReportLimitForTests();
        return new Restore(EngineLog.ReplaceForTests(log));
    }

    private sealed class Restore(ILogger previous) : IDisposable
    {
        public void Dispose() => EngineLog.ReplaceForTests(previous);
    }
}
