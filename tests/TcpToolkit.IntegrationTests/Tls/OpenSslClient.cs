using System.Diagnostics;
using System.Text;

namespace TcpToolkit.IntegrationTests.Tls;

/// <summary>
/// <c>openssl s_client</c> as a real process: an independent TLS implementation to interoperate with. Debian's
/// openssl is installed by .ci/run; when it is missing the interop tests fail with a message saying so (never pass or
/// skip silently), since TLS interoperability is what they exist to show.
/// </summary>
internal sealed class OpenSslClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private OpenSslClient(Process process)
    {
        _process = process;
    }

    /// <summary>The lines openssl printed on stdout (the server's bytes, and with -brief nothing else).</summary>
    public LineWaiter Lines { get; } = new();

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

    public static string RequireOpenSsl()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "openssl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("openssl is not installed, so the TLS interop tests against openssl s_client cannot run: install it (apt-get install -y openssl; .ci/run does).");
        return string.Empty;
    }

    /// <summary>Starts <c>openssl s_client</c> with <paramref name="arguments"/>; stdin stays open until <see cref="CloseInput"/>.</summary>
    public static OpenSslClient Start(params string[] arguments)
    {
        var info = new ProcessStartInfo(RequireOpenSsl())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("s_client");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var client = new OpenSslClient(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                client.Lines.End();
            }
            else
            {
                client.Lines.Add(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (client._stderr)
                {
                    client._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return client;
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteAsync(line + "\n");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Closes stdin: without -ign_eof, s_client then sends close_notify, closes and exits.</summary>
    public void CloseInput() => _process.StandardInput.Close();

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
