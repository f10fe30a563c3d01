using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TcpToolkit.Hosting.Tests;

/// <summary>
/// A sample program run as its own process with <c>dotnet</c>, from its own build output (its appsettings.json, its
/// configuration sources), with extra environment variables; standard output is read line by line.
/// </summary>
internal sealed class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _lock = new();
    private (Func<string, bool> Match, TaskCompletionSource<string> Found)? _waiter;

    private SampleProcess(Process process) => _process = process;

    /// <summary>Gets everything the program printed so far (standard output and error).</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static SampleProcess Start(string sample, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // The sample's own output folder, in the configuration this test project was built in (bin/<configuration>/net10.0).
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var program = Path.Combine(Repository.Root, "samples", sample, "bin", testOutput.Parent!.Name, testOutput.Name, sample + ".dll");
        if (!File.Exists(program))
        {
            throw new FileNotFoundException("The sample is built with this test project (a project reference); it was not found.", program);
        }

        var start = new ProcessStartInfo(DotNet(), [program, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var sampleProcess = new SampleProcess(process);
        process.OutputDataReceived += (_, e) => sampleProcess.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => sampleProcess.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sampleProcess;
    }

    /// <summary>Waits for the first line that matches (printed before or after the call); fails with the output if the program exits first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            _waiter = (match, found);
        }

        var exited = _process.WaitForExitAsync(cancellationToken);
        if (await Task.WhenAny(found.Task, exited).WaitAsync(cancellationToken) != found.Task)
        {
            throw new InvalidOperationException($"The sample exited ({_process.ExitCode}) before printing the line awaited:\n{Output}");
        }

        return await found.Task;
    }

    /// <summary>Waits for the program to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TestTimeouts.Default);
        _process.Dispose();
    }

    private static string DotNet()
    {
        // The dotnet that runs these tests: dotnet test names it; the test runner alone runs on the shared runtime
        // folder <root>/shared/Microsoft.NETCore.App/<version>/, three levels below the dotnet host.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _lines.Add(line);
            if (_waiter is { } waiter && waiter.Match(line))
            {
                _waiter = null;
                waiter.Found.TrySetResult(line);
            }
        }
    }
}
