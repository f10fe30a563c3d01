using System.Diagnostics;
using System.Text;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// Runs the Python peers in Peers/ (programs that behave as the guide's, per guide-wire-protocol.md) as real
/// processes. Python 3 is installed by .ci/run; without it these tests are skipped with a message saying so, and on CI
/// (CI=true) they fail instead, so a missing install can never pass silently.
/// </summary>
internal sealed class PythonPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PythonPeer(Process process)
    {
        _process = process;
    }

    public static string PeersDirectory => Path.Combine(AppContext.BaseDirectory, "Peers");

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>The lines printed on stdout, to wait for.</summary>
    public LineWaiter Lines { get; } = new();

    /// <summary>Whether the process has exited (a guide-style server that crashed, for instance).</summary>
    public bool HasExited => _process.HasExited;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static string RequirePython()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "python3");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        const string Message = "python3 is not installed, so the interop tests against the guide-style Python peers cannot run (.ci/run installs it).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(Message);
        }

        Assert.Skip(Message);
        return string.Empty;
    }

    public static PythonPeer Start(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo(RequirePython())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(Path.Combine(PeersDirectory, script));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PYTHONIOENCODING"] = "utf-8";
        var process = new Process { StartInfo = info };
        var peer = new PythonPeer(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                peer._firstLine.TrySetResult(string.Empty);
                peer.Lines.End();
                return;
            }

            lock (peer._stdout)
            {
                peer._stdout.AppendLine(e.Data);
            }

            peer.Lines.Add(e.Data);

            peer._firstLine.TrySetResult(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (peer._stderr)
                {
                    peer._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    public Task<string> FirstLineAsync(CancellationToken cancellationToken) => _firstLine.Task.WaitAsync(cancellationToken);

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
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
