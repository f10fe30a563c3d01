using System.ComponentModel;
using System.Diagnostics;

namespace TcpToolkit.Benchmarks.Compare;

/// <summary>
/// Compiles the harness's C programs (issue #17: the <c>c-epoll</c> server, and for <c>--generator c</c> the load
/// generator and the burst client, all in Peers/CEpoll) with gcc into an <c>obj</c> folder next to their source, when the program is missing
/// or older than its source, whether or not <c>--no-build</c> was given (a compile takes a second).
/// </summary>
internal static class NativeBuild
{
    /// <summary>
    /// Optimised for the machine that runs the comparison, like the .NET servers' JIT (which targets the CPU it runs
    /// on); warnings shown but not fatal, so another gcc version does not stop a run.
    /// </summary>
    private static readonly string[] Flags = ["-O2", "-march=native", "-Wall", "-Wextra"];

    /// <summary>The source of the C load generator.</summary>
    public static string BenchClientSource(string root) => Path.Combine(root, "tests/TcpToolkit.Benchmarks/Peers/CEpoll/bench_client.c");

    /// <summary>The source of the C burst client (the connection burst's client under <c>--generator c</c>).</summary>
    public static string BurstClientSource(string root) => Path.Combine(root, "tests/TcpToolkit.Benchmarks/Peers/CEpoll/burst_client.c");

    /// <summary>Where the program compiled from <paramref name="source"/> goes: <c>obj/NAME</c> next to it (ignored by git).</summary>
    public static string OutputOf(string source) =>
        Path.Combine(Path.GetDirectoryName(source)!, "obj", Path.GetFileNameWithoutExtension(source));

    /// <summary>The compile command as the report shows it.</summary>
    public static string Describe(string source) =>
        "gcc " + string.Join(' ', Flags) + " -o obj/" + Path.GetFileNameWithoutExtension(source) + " " + Path.GetFileName(source);

    /// <summary>Compiles <paramref name="source"/> unless its program is newer.</summary>
    /// <exception cref="InvalidOperationException">gcc is missing, or the compile failed (its output is in the message).</exception>
    public static async Task EnsureBuiltAsync(string source)
    {
        var output = OutputOf(source);
        if (File.Exists(output) && File.GetLastWriteTimeUtc(output) >= File.GetLastWriteTimeUtc(source))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var start = new ProcessStartInfo("gcc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[.. Flags, "-o", output, source])
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Could not start gcc.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"gcc is needed to compile {Path.GetFileName(source)} ({ex.Message}): install it (apt-get install gcc), or leave {PeerServer.CEpoll} out of --servers and use --generator {HarnessOptions.GeneratorTcptk}.",
                ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var messages = (await stdout + await stderr).Trim();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"gcc could not compile {source}:\n{messages}");
            }

            Console.WriteLine($"  compiled {Path.GetRelativePath(Environment.CurrentDirectory, output)}{(messages.Length > 0 ? " with warnings:\n" + messages : "")}");
        }
    }
}
