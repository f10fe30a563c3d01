namespace TcpToolkit.Transport.Internal.Epoll;

/// <summary>Whether an epoll loop polls for a moment after a batch of events before it blocks.</summary>
internal enum BusyPollMode
{
    /// <summary>Poll while polling recently found events (<see cref="BusyPollPolicy"/>); the default.</summary>
    Adaptive,

    /// <summary>Never poll: block in <c>epoll_wait</c> as soon as a batch is handled (least CPU).</summary>
    Off,

    /// <summary>Poll after every batch (lowest latency, and a core spins after every batch for 50 µs).</summary>
    Always,
}

/// <summary>
/// The process-wide busy-poll setting of the epoll engine, read once when the loops are created.
/// </summary>
internal static class BusyPollSettings
{
    /// <summary>
    /// The AppContext name of the setting: <c>adaptive</c> (the default), <c>off</c> or <c>always</c>. Set it in the
    /// application's project (<c>&lt;RuntimeHostConfigurationOption Include="TcpToolkit.BusyPoll" Value="off" /&gt;</c>,
    /// which lands in runtimeconfig.json) or with <c>AppContext.SetData("TcpToolkit.BusyPoll", "off")</c> before the
    /// first <c>TcpServer</c> or <c>TcpClient</c> opens a socket; later changes are not seen. An unknown
    /// value means <c>adaptive</c> and is logged as a warning.
    /// </summary>
    public const string AppContextName = "TcpToolkit.BusyPoll";

    /// <summary>Reads the setting; <paramref name="invalidValue"/> is the text that was not understood, if any.</summary>
    public static BusyPollMode Read(out string? invalidValue) => Parse(AppContext.GetData(AppContextName)?.ToString(), out invalidValue);

    /// <summary>Parses a setting value (case-insensitive); <see langword="null"/> or empty means the default.</summary>
    public static BusyPollMode Parse(string? value, out string? invalidValue)
    {
        invalidValue = null;
        switch (value?.Trim().ToUpperInvariant())
        {
            case null or "" or "ADAPTIVE":
                return BusyPollMode.Adaptive;
            case "OFF":
                return BusyPollMode.Off;
            case "ALWAYS":
                return BusyPollMode.Always;
            default:
                invalidValue = value;
                return BusyPollMode.Adaptive;
        }
    }
}

/// <summary>
/// Decides, after each batch, whether a loop polls for a moment before it blocks. Polling pays when the next event
/// comes within the window (a reply in a ping-pong: one wake-up and context switch saved per round trip) and wastes a
/// core's time when it does not. The adaptive policy keeps a score: a window that found events earns 1, an empty one
/// costs 4, so polling goes on only while more than about four windows in five pay off; at 0 it stops, and after
/// <see cref="ProbeInterval"/> batches without polling it tries again (a ping-pong that starts later is noticed
/// within a few milliseconds). Owned by the loop's thread: no synchronization.
/// </summary>
internal struct BusyPollPolicy
{
    /// <summary>The highest score (and the starting one: a new loop polls).</summary>
    public const int MaxScore = 32;

    /// <summary>What a window that found events earns.</summary>
    public const int HitGain = 1;

    /// <summary>What a window that ran out empty costs.</summary>
    public const int MissCost = 4;

    /// <summary>How many batches a loop that stopped polling handles before it tries polling again.</summary>
    public const int ProbeInterval = 128;

    /// <summary>The score a probe starts with: one empty window ends it, hits keep it going.</summary>
    public const int ProbeScore = MissCost;

    private int _score;
    private int _batchesWithoutPolling;

    public BusyPollPolicy(BusyPollMode mode)
    {
        Mode = mode;
        _score = MaxScore;
    }

    public BusyPollMode Mode { get; }

    /// <summary>Gets the score (for tests).</summary>
    public readonly int Score => _score;

    /// <summary>Called after a batch: whether to poll before blocking.</summary>
    public bool ShouldPoll()
    {
        switch (Mode)
        {
            case BusyPollMode.Always:
                return true;
            case BusyPollMode.Off:
                return false;
        }

        if (_score > 0)
        {
            return true;
        }

        if (++_batchesWithoutPolling <= ProbeInterval)
        {
            return false;
        }

        _batchesWithoutPolling = 0;
        _score = ProbeScore;
        return true;
    }

    /// <summary>A poll found events within the window.</summary>
    public void OnHit() => _score = Math.Min(_score + HitGain, MaxScore);

    /// <summary>The window ran out without an event.</summary>
    public void OnMiss() => _score = Math.Max(_score - MissCost, 0);
}
