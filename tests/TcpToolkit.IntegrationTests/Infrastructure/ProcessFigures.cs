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

    public static void Report(string line)
    {
        // Shown live in the test output (xunit.runner.json: showLiveOutput) so CI logs carry the figures.
        TestContext.Current.TestOutputHelper?.WriteLine(line);
    }
}
