using System.Text;

namespace TcpToolkit.Cli.Tests;

/// <summary>A thread-safe in-memory writer a test can wait on: <see cref="WaitForAsync"/> completes once the text meets a condition.</summary>
internal sealed class ObservedWriter : TextWriter
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _text = new();
    private readonly List<(Func<string, bool> Condition, TaskCompletionSource Met)> _waiters = [];

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Gets the lines written so far (complete or not).</summary>
    public string[] Lines => ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override void Write(char value) => Append(value.ToString());

    public override void Write(string? value) => Append(value);

    public override void Write(char[] buffer, int index, int count) => Append(new string(buffer, index, count));

    /// <summary>Completes when the text written so far meets <paramref name="condition"/> (at once if it does already).</summary>
    public Task WaitForAsync(Func<string, bool> condition)
    {
        var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition(_text.ToString()))
            {
                met.SetResult();
            }
            else
            {
                _waiters.Add((condition, met));
            }
        }

        return met.Task.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
    }

    /// <summary>Completes when at least <paramref name="count"/> lines have been ended.</summary>
    public Task WaitForLinesAsync(int count) => WaitForAsync(text => text.Count(c => c == '\n') >= count);

    public override string ToString()
    {
        lock (_gate)
        {
            return _text.ToString();
        }
    }

    private void Append(string? value)
    {
        lock (_gate)
        {
            _text.Append(value);
            var text = _text.ToString();
            _waiters.RemoveAll(w =>
            {
                if (!w.Condition(text))
                {
                    return false;
                }

                w.Met.SetResult();
                return true;
            });
        }
    }
}
