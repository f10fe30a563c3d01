using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;

namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>
/// A set of <see cref="EpollLoop"/>s that new sockets are spread over, round-robin. The process has one
/// (<see cref="Default"/>, one loop per processor up to 16, created at the first socket); tests create private ones
/// through <see cref="EngineHooks"/> to control which loop a connection lands on or to break a loop.
/// </summary>
internal sealed class EpollLoopGroup
{
    private static readonly Lazy<EpollLoopGroup?> s_default = new(CreateDefault);

    private readonly EpollLoop[] _loops;
    private uint _next;

    private EpollLoopGroup(EpollLoop[] loops) => _loops = loops;

    /// <summary>
    /// Gets the process-wide loops, or <see langword="null"/> where the engine does not run: not Linux on x64 or
    /// arm64 with glibc, or switched off with the <c>TcpToolkit.UseDotNetSocketEngine</c> AppContext switch.
    /// </summary>
    public static EpollLoopGroup? Default => s_default.Value;

    /// <summary>Gets the loops.</summary>
    public IReadOnlyList<EpollLoop> Loops => _loops;

    /// <summary>Creates <paramref name="count"/> loops; <see langword="null"/> where the engine cannot run.</summary>
    public static EpollLoopGroup? Create(int count, string name, BusyPollMode busyPoll)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return null;
        }

        var loops = new EpollLoop[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (EpollLoop.Create(name + " " + i.ToString(CultureInfo.InvariantCulture), busyPoll) is not { } loop)
                {
                    return null;
                }

                loops[i] = loop;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for instance): .NET's own engine serves.
            return null;
        }

        return new EpollLoopGroup(loops);
    }

    /// <summary>Picks the loop for a new socket, round-robin over the loops that have not failed.</summary>
    /// <returns><see langword="false"/> when every loop has failed (the caller falls back to .NET's engine).</returns>
    public bool TryNext([NotNullWhen(true)] out EpollLoop? loop)
    {
        var loops = _loops;
        var start = Interlocked.Increment(ref _next);
        for (var i = 0u; i < (uint)loops.Length; i++)
        {
            var candidate = loops[(start + i) % (uint)loops.Length];
            if (!candidate.IsFailed)
            {
                loop = candidate;
                return true;
            }
        }

        loop = null;
        return false;
    }

    private static EpollLoopGroup? CreateDefault()
    {
        if (AppContext.TryGetSwitch("TcpToolkit.UseDotNetSocketEngine", out var useDotNet) && useDotNet)
        {
            return null;
        }

        var busyPoll = BusyPollSettings.Read(out var invalid);
        if (invalid is not null)
        {
            EngineLog.InvalidBusyPoll(invalid);
        }

        var count = Math.Clamp(Environment.ProcessorCount, 1, 16);
        var group = Create(count, "TcpToolkit epoll", busyPoll);
        if (group is not null)
        {
            EngineLog.LoopsStarted(count, busyPoll);
        }

        return group;
    }
}
