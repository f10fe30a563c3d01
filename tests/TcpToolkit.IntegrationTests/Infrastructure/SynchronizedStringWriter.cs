using System.Text;

namespace TcpToolkit.IntegrationTests;

/// <summary>
/// A StringWriter that samples may write to from several connection handlers at once. Whole lines written with
/// WriteLine can be awaited through <see cref="Lines"/>.
/// </summary>
internal sealed class SynchronizedStringWriter : StringWriter
{
    private readonly Lock _lock = new();

    public SynchronizedStringWriter()
        : base(System.Globalization.CultureInfo.InvariantCulture)
    {
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public LineWaiter Lines { get; } = new();

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            base.WriteLine(value);
        }

        Lines.Add(value ?? string.Empty);
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return base.ToString();
        }
    }

    public override StringBuilder GetStringBuilder()
    {
        lock (_lock)
        {
            return new StringBuilder(base.ToString());
        }
    }
}
