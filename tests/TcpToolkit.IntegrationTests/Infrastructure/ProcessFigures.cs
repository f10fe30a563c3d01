namespace TcpToolkit.IntegrationTests;

/// <summary>Process-level figures the hostile-peer tests measure before and after: open sockets and managed memory.</summary>
internal static class ProcessFigures
{
    /// <summary>Counts this process's open socket descriptors (Linux /proc).</summary>
    public static int OpenSockets()
    {
        Assert.SkipUnless(Directory.Exists("/proc/self/fd"), "Counting open sockets needs Linux /proc/self/fd.");
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked: not open, not counted.
            }
        }

        return count;
    }

    /// <summary>Managed memory after a full, compacting collection.</summary>
    public static long SettledManagedMemory()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Where the figures of the last run are collected; .ci/run prints this file after the tests.</summary>
    public static string FiguresFile => Path.Combine(AppContext.BaseDirectory, "hostile-figures.txt");

    public static void Report(string line)
    {
        // In the test's output (shown live by the xunit runner, and by `dotnet test --output detailed`), and in a
        // file that CI prints after the run, since `dotnet test` hides the output of passing tests.
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        lock (FiguresLock)
        {
            if (!s_figuresStarted)
            {
                // One file per test run: the first figure of this process replaces the last run's.
                File.WriteAllText(FiguresFile, string.Empty);
                s_figuresStarted = true;
            }

            File.AppendAllText(FiguresFile, $"{DateTime.UtcNow:O} {TestContext.Current.Test?.TestDisplayName}: {line}{Environment.NewLine}");
        }
    }

    private static readonly Lock FiguresLock = new();
    private static bool s_figuresStarted;
}
