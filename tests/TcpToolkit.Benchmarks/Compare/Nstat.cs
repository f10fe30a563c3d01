using System.Diagnostics;
using System.Globalization;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// The kernel's listen-queue counters, from <c>nstat -asz TcpExtListenOverflows TcpExtListenDrops</c> (absolute values,
/// zeros included, without touching nstat's history file). They count for the whole network namespace: the harness
/// reads them before and after a burst against one server, while nothing else of its own is connecting.
/// </summary>
internal static class Nstat
{
    /// <summary>Overflows (a handshake completed while the accept queue was full) and drops (overflows plus other listen drops).</summary>
    public static async Task<(long Overflows, long Drops)?> ReadAsync()
    {
        var start = new ProcessStartInfo("nstat") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-asz", "TcpExtListenOverflows", "TcpExtListenDrops"])
        {
            start.ArgumentList.Add(argument);
        }

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No nstat (iproute2) on this machine: the burst is still measured, the counters show as "–".
            return null;
        }

        using (process)
        {
            if (process is null)
            {
                return null;
            }

            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            long? overflows = null, drops = null;
            foreach (var line in output.Split('\n'))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                {
                    if (fields[0] == "TcpExtListenOverflows")
                    {
                        overflows = value;
                    }
                    else if (fields[0] == "TcpExtListenDrops")
                    {
                        drops = value;
                    }
                }
            }

            return overflows is { } o && drops is { } d ? (o, d) : null;
        }
    }
}
