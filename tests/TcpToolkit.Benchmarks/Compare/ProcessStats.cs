using System.Globalization;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>Reads a process's CPU time, resident memory and open descriptors from /proc (Linux only).</summary>
internal static class ProcessStats
{
    private const double ClockTicksPerSecond = 100; // USER_HZ, 100 on every Linux the runtime supports

    /// <summary>User + system CPU time of <paramref name="pid"/> in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // Fields after the command (which may hold spaces) start after the last ')'; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }

    /// <summary>Resident set size of <paramref name="pid"/> in bytes.</summary>
    public static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("No VmRSS for process " + pid);
    }

    /// <summary>Number of open file descriptors of <paramref name="pid"/>.</summary>
    public static int OpenDescriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0..3] is var parts ? string.Join(' ', parts) : "";
}
